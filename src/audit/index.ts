export { createJsonlAuditSink } from './sink.js';
export { verifyAuditLog } from './verify.js';
export type * from './types.js';
