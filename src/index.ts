/**
 * `geoadmit`: geo-fenced meeting admission. The gate (`createGate`), the
 * resolvers that locate participants, restriction validation, the in-memory
 * restriction store, errors, and the types needed to call them. The audit log
 * (sink, verifier, signing keys, event records) is `geoadmit/audit`, the
 * transparency report `geoadmit/report`, the `.mmdb` writer `geoadmit/mmdb`,
 * what implementing a restriction store takes `geoadmit/store`, and the
 * types of a fleet's answers `geoadmit/redis`.
 *
 * Every export is listed by name, on purpose: each one is a semver promise.
 * Matching helpers and other plumbing stay inside their folders. The report of
 * this surface is api/exports.json and api/types.json (test/api-surface.test.ts).
 *
 * @module
 */

// Errors: one class with stable codes.
export { ErrorCode, GeoadmitError, isGeoadmitError, type GeoadmitErrorContext } from './errors/index.js';

// The gate: admission, live enforcement, roster.
export {
  createGate,
  ReasonCode,
  type Clock,
  type Decision,
  type ExemptedReason,
  type Exemption,
  type ExemptionDocument,
  type Gate,
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

// What `gate.on` delivers: one entry per event type. Each event's own type, and the audit log's
// record of it, are in `geoadmit/audit`.
export type { GateEventMap } from './events/index.js';

// Where locations come from.
export {
  CLOUDFLARE_RANGES,
  normalizeAddress,
  redactAddress,
  type AddressResult,
  type CdnOption,
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
} from './geo/default.js';

// Restrictions.
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

// Where restrictions live. What implementing a store takes (its change feed, the fleet channel)
// is `geoadmit/store`.
export { InMemoryRestrictionStore } from './store/memory.js';
export type { RestrictionStore } from './store/types.js';
