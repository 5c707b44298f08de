/**
 * `geoadmit`: geo-fenced meeting admission. The gate (`createGate`), the
 * resolvers that locate participants, restriction validation, the in-memory
 * restriction store, the audit sink and its verifier, the transparency report,
 * the `.mmdb` writer, and the types needed to call them.
 *
 * Every export is listed by name, on purpose: each one is a semver promise.
 * Matching helpers and other plumbing stay inside their folders. The report of
 * this surface is api/exports.json and api/types.json (test/api-surface.test.ts).
 *
 * @module
 */

// Errors: one class with stable codes (SPEC 12).
export { ErrorCode, GeoadmitError, isGeoadmitError, type GeoadmitErrorContext } from './errors/index.js';

// The gate: admission, live enforcement, roster (SPEC 5, 6, 7).
export {
  createGate,
  ReasonCode,
  type Clock,
  type Decision,
  type ExemptedReason,
  type Exemption,
  type ExemptionDocument,
  type FleetCoverage,
  type FleetMeetingOverview,
  type FleetNode,
  type FleetOverview,
  type Gate,
  type GateAuditOptions,
  type GateOptions,
  type Join,
  type LocationSource,
  type MeetingOverview,
  type Notice,
  type ParticipantRef,
  type PendingRemoval,
  type PublicText,
  type Reason,
  type RestrictResult,
  type RestrictionInput,
  type RevokeExemptionResult,
  type Rule,
  type RuleContext,
  type RuleVerdict,
} from './gate/index.js';

// Gate events (SPEC 7, 8, 12).
export type {
  AuditAuthority,
  AuditEvent,
  AuditEventSource,
  AuditEventType,
  DecisionEvent,
  ErrorEvent,
  ExemptionGrantedEvent,
  ExemptionRevokedEvent,
  GateEventMap,
  GeoReloadedEvent,
  RemovalEvent,
  RestrictionAcceptedEvent,
  RestrictionLiftedEvent,
  RestrictionRefusedEvent,
  StoreEvent,
  WarningCode,
  WarningEvent,
} from './events/index.js';

// Where locations come from (SPEC 3).
export {
  CLOUDFLARE_RANGES,
  normalizeAddress,
  redactAddress,
  type AddressResult,
  type CdnOption,
  type RedactionMode,
  type TrustedProxiesInput,
} from './address/index.js';
export {
  MaxMindLayout,
  MaxMindResolver,
  OverlayResolver,
  parseGeofeed,
  StaticResolver,
  UnknownCause,
  type GeoCapabilities,
  type GeofeedEntry,
  type GeoResolver,
  type GeoResolverEvents,
  type GeoResolverMetadata,
  type Location,
  type MaxMindDatabaseInfo,
  type MaxMindFs,
  type MaxMindReloadResult,
  type MaxMindResolverOptions,
  type StaticEntry,
  type StaticResolverOptions,
  type StaticTable,
} from './geo/index.js';
export {
  DEFAULT_DB_PACKAGE,
  findDefaultDatabase,
  GEOLITE2_ATTRIBUTION,
  openDefaultResolver,
  type DefaultResolverOptions,
  type PackageResolver,
} from './geo/default.js';

// Writing `.mmdb` files (SPEC 3.3).
export {
  buildMmdb,
  MmdbNumber,
  writeMmdb,
  type BuildMmdbOptions,
  type MmdbEntries,
  type MmdbEntry,
  type MmdbNumberType,
  type MmdbRecord,
  type MmdbValue,
} from './mmdb/index.js';

// Restrictions (SPEC 4).
export {
  validateRestriction,
  validateRestrictions,
  type Authority,
  type HostPolicyRestriction,
  type NormalizedRestriction,
  type Restriction,
  type RestrictionDocument,
  type RestrictionKind,
  type RestrictionProblem,
  type RestrictionScope,
  type RestrictionsValidation,
  type SanctionsRestriction,
  type TakedownRestriction,
  type ValidateRestrictionOptions,
} from './restrictions/index.js';

// Where restrictions live (SPEC 6).
export {
  InMemoryRestrictionStore,
  type FleetAnnouncement,
  type FleetChannel,
  type FleetMessage,
  type RestrictionChange,
  type RestrictionSnapshot,
  type RestrictionStore,
  type RestrictionStoreEvents,
  type RestrictionSubscriber,
  type StoredExemption,
} from './store/index.js';

// The audit log (SPEC 8, 13).
export {
  createJsonlAuditSink,
  generateAuditSigningKeys,
  verifyAuditLog,
  type AuditSigningKeys,
  type AuditFs,
  type AuditHead,
  type AuditProblem,
  type AuditSignatures,
  type AuditSinkEventMap,
  type AuditSinkStats,
  type AuditVerification,
  type AuditWhenUnwritable,
  type FsyncMode,
  type JsonlAuditSink,
  type JsonlAuditSinkOptions,
  type VerifyAuditLogOptions,
} from './audit/index.js';

// The transparency report (SPEC 8).
export {
  buildTransparencyReport,
  renderReportHtml,
  renderReportJson,
  renderReportMarkdown,
  type AuthorityReport,
  type JurisdictionReport,
  type ReportCategory,
  type ReportExemptions,
  type ReportFigures,
  type ReportInput,
  type ReportLog,
  type ReportPeriod,
  type ReportPublicKey,
  type ReportSource,
  type ReportTotals,
  type TransparencyReport,
  type TransparencyReportOptions,
} from './report/index.js';
