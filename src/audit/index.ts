export { createJsonlAuditSink } from './sink.js';
export { type AuditSigningKeys, generateAuditSigningKeys } from './keys.js';
export { verifyAuditLog } from './verify.js';
export type * from './types.js';
