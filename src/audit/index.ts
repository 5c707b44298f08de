/**
 * `geoadmit/audit`: the audit log. The JSON Lines sink a gate writes every
 * event to (hash-chained, optionally signed), the verifier that checks a log,
 * signing keys, and the types of the records: one per event the gate emits.
 *
 * @module
 */
// Every export by name, on purpose: each one is a semver promise.
export { createJsonlAuditSink } from './sink.js';
export { type AuditSigningKeys, generateAuditSigningKeys } from './keys.js';
export { verifyAuditLog } from './verify.js';
export type {
  AuditFs,
  AuditHead,
  AuditProblem,
  AuditSignatures,
  AuditSinkEventMap,
  AuditSinkStats,
  AuditVerification,
  AuditWhenUnwritable,
  FsyncMode,
  JsonlAuditSink,
  JsonlAuditSinkOptions,
  VerifyAuditLogOptions,
} from './types.js';
// What the gate writes to the log, and how it writes addresses.
export type { GateAuditOptions } from '../gate/types.js';
export type { RedactionMode } from '../address/index.js';
// The events as the gate emits them and the log records them.
export type {
  AuditAuthority,
  AuditEvent,
  AuditEventSource,
  AuditEventType,
  DecisionEvent,
  ErrorEvent,
  ExemptionGrantedEvent,
  ExemptionRevokedEvent,
  GeoReloadedEvent,
  RemovalEvent,
  RestrictionAcceptedEvent,
  RestrictionLiftedEvent,
  RestrictionRefusedEvent,
  StoreEvent,
  WarningCode,
  WarningEvent,
} from '../events/index.js';
