/**
 * `createGate`'s options checked once, at configuration time: unknown keys
 * refused with the closest known name, values validated, defaults filled in.
 */
import { compileTrustedProxies, type RedactionMode, type TrustedProxies } from '../../address/index.js';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { GeoResolver } from '../../geo/types.js';
import { isPlainObject } from '../../internal/objects.js';
import { assertKnownKeys } from '../../internal/options.js';
import type { RestrictionStore } from '../../store/types.js';
import type { Clock } from '../clock.js';
import type { Decision, GateOptions, LocationSource, ParticipantRef, Rule } from '../types.js';

/** Every key `createGate` accepts. */
const KNOWN: readonly (keyof GateOptions)[] = [
  'geo',
  'trustedProxies',
  'forwardedHeader',
  'restrictions',
  'lastKnownRestrictions',
  'rules',
  'locationSources',
  'onRuleError',
  'ruleTimeoutMs',
  'audit',
  'onRemove',
  'removalTimeoutMs',
  'cdn',
  'clock',
  'nodeId',
  'fleetTimeoutMs',
];
const KNOWN_AUDIT = ['ip', 'hmacKey', 'onFailure'] as const;
const IP_MODES: readonly RedactionMode[] = ['truncate', 'hmac', 'omit', 'raw'];

/** The options with defaults filled in. */
export interface GateSettings {
  geo: GeoResolver;
  trusted: TrustedProxies;
  restrictions: readonly unknown[] | RestrictionStore;
  lastKnownRestrictions: readonly unknown[] | undefined;
  rules: readonly Rule[];
  sources: readonly LocationSource[];
  onRuleError: 'deny' | 'admit';
  ruleTimeoutMs: number;
  ipMode: RedactionMode;
  hmacKey: string | Uint8Array | undefined;
  auditOnFailure: 'deny' | 'admit';
  onRemove: ((participant: ParticipantRef, decision: Decision) => void | Promise<void>) | undefined;
  removalTimeoutMs: number;
  clock: Clock;
  /** The `nodeId` option, or undefined for the default (chosen by the fleet membership). */
  nodeId: string | undefined;
  fleetTimeoutMs: number;
}

function invalid(text: string, argument: string): GeoadmitError {
  return new GeoadmitError(ErrorCode.InvalidConfig, `createGate: ${text}`, { argument });
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, argument: string): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(`${argument} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, not ${JSON.stringify(value)}`, argument);
}

function duration(value: unknown, fallback: number, argument: string): number {
  if (value === undefined) return fallback;
  // setTimeout's limit: longer would fire at once.
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2_147_483_647) {
    throw invalid(`${argument} must be a positive number of milliseconds, not ${JSON.stringify(value)}`, argument);
  }
  return value;
}

function list<T>(value: unknown, argument: string): readonly T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(`${argument} must be an array`, argument);
  return [...value] as T[];
}

/** Checks `createGate`'s options; throws `E_INVALID_CONFIG` naming the option at fault. */
export function readOptions(options: GateOptions): GateSettings {
  if (!isPlainObject(options)) throw invalid('options must be an object', 'options');
  assertKnownKeys(options, KNOWN, 'createGate');
  const geo = options.geo;
  if (!geo || typeof geo.resolve !== 'function') throw invalid('options.geo must be a GeoResolver (an object with resolve(address))', 'geo');

  const header =
    options.forwardedHeader === undefined ? undefined : oneOf(options.forwardedHeader, ['x-forwarded-for', 'forwarded'], 'x-forwarded-for', 'forwardedHeader');
  // Always compiled, even empty: the resolver then knows which forwarded header to look for when it
  // warns that one arrived from a proxy nobody trusts, and a CDN alone still needs its ranges.
  const trusted = compileTrustedProxies(options.trustedProxies ?? [], {
    ...(header !== undefined ? { header } : {}),
    ...(options.cdn !== undefined ? { cdn: options.cdn } : {}),
  });

  const rules = list<Rule>(options.rules, 'rules');
  rules.forEach((rule, i) => {
    if (!rule || typeof rule.name !== 'string' || typeof rule.evaluate !== 'function')
      throw invalid(`rules[${i}] must have a name and an evaluate function`, `rules[${i}]`);
  });
  const sources = list<LocationSource>(options.locationSources, 'locationSources');
  sources.forEach((source, i) => {
    if (!source || typeof source.name !== 'string' || typeof source.locate !== 'function')
      throw invalid(`locationSources[${i}] must have a name and a locate function`, `locationSources[${i}]`);
  });

  const audit = options.audit ?? {};
  if (!isPlainObject(audit)) throw invalid('audit must be an object', 'audit');
  assertKnownKeys(audit, KNOWN_AUDIT, 'createGate', 'audit.');
  const ipMode = oneOf(audit.ip, IP_MODES, 'truncate', 'audit.ip');
  const hmacKey = audit.hmacKey as string | Uint8Array | undefined;
  if (hmacKey !== undefined && typeof hmacKey !== 'string' && !(hmacKey instanceof Uint8Array))
    throw invalid('audit.hmacKey must be a string or a Uint8Array', 'audit.hmacKey');
  if (ipMode === 'hmac' && (hmacKey === undefined || hmacKey.length === 0)) throw invalid("audit.ip 'hmac' needs audit.hmacKey", 'audit.hmacKey');

  if (options.onRemove !== undefined && typeof options.onRemove !== 'function') throw invalid('onRemove must be a function', 'onRemove');
  if (options.clock !== undefined && typeof options.clock !== 'function') throw invalid('clock must be a function returning epoch milliseconds', 'clock');

  const nodeId = options.nodeId;
  // Bounded: it travels in every fleet message and every audit event.
  if (nodeId !== undefined && (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.length > 128 || /[\u0000-\u001f\u007f]/.test(nodeId)))
    throw invalid(`nodeId must be a string of 1 to 128 characters without control characters, not ${JSON.stringify(nodeId)?.slice(0, 140)}`, 'nodeId');

  return {
    geo,
    trusted,
    restrictions: options.restrictions ?? [],
    lastKnownRestrictions: options.lastKnownRestrictions,
    rules,
    sources,
    onRuleError: oneOf(options.onRuleError, ['deny', 'admit'], 'deny', 'onRuleError'),
    ruleTimeoutMs: duration(options.ruleTimeoutMs, 1000, 'ruleTimeoutMs'),
    ipMode,
    hmacKey,
    auditOnFailure: oneOf(audit.onFailure, ['deny', 'admit'], 'admit', 'audit.onFailure'),
    onRemove: options.onRemove,
    removalTimeoutMs: duration(options.removalTimeoutMs, 10_000, 'removalTimeoutMs'),
    clock: options.clock ?? Date.now,
    nodeId,
    fleetTimeoutMs: duration(options.fleetTimeoutMs, 5000, 'fleetTimeoutMs'),
  };
}
