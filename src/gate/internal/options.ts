/**
 * `createGate`'s options checked once, at configuration time: unknown keys
 * refused with the closest known name, values validated, defaults filled in.
 */
import { compileTrustedProxies, type RedactionMode, type TrustedProxies, type TrustedProxiesInput } from '../../address/index.js';
import { isGeoadmitError } from '../../errors/index.js';
import type { GeoResolver } from '../../geo/types.js';
import { member } from '../../internal/objects.js';
import { configError, describeValue, isArray, keysOf, type OptionValues, optionValues, wrongValue } from '../../internal/options.js';
import type { RestrictionStore } from '../../store/types.js';
import type { Clock } from '../clock.js';
import type { Decision, GateAuditOptions, GateOptions, LocationSource, ParticipantRef, Rule } from '../types.js';

/** Every key `createGate` accepts (a record typed by the options: an option added but not listed fails to compile). */
const KNOWN = keysOf<GateOptions>({
  geo: true,
  trustedProxies: true,
  forwardedHeader: true,
  restrictions: true,
  lastKnownRestrictions: true,
  rules: true,
  locationSources: true,
  onRuleError: true,
  ruleTimeoutMs: true,
  audit: true,
  onRemove: true,
  removalTimeoutMs: true,
  cdn: true,
  clock: true,
  nodeId: true,
  fleetTimeoutMs: true,
});
const KNOWN_AUDIT = keysOf<GateAuditOptions>({ ip: true, hmacKey: true, onFailure: true });
const IP_MODES: readonly RedactionMode[] = ['truncate', 'hmac', 'omit', 'raw'];
/** What a restriction store must answer to (its optional members are checked where they are used). */
const STORE_METHODS = ['snapshot', 'put', 'delete', 'subscribe', 'compareVersions'] as const;

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

const WHERE = 'createGate';

/** A list of plugin objects (`rules`, `locationSources`), each with a string `name` and the method `method`. */
function plugins<T>(o: OptionValues<GateOptions>, key: 'rules' | 'locationSources', method: string): readonly T[] {
  const entries = o.list(key);
  entries.forEach((entry, i) => {
    if (typeof member(entry, 'name') !== 'string' || typeof member(entry, method) !== 'function')
      throw wrongValue(WHERE, `${key}[${i}]`, `an object with a name and a ${method} function`, entry);
  });
  return entries as T[];
}

/** `restrictions`: a list of restriction documents (copied) or a restriction store. */
function restrictionsOption(o: OptionValues<GateOptions>): readonly unknown[] | RestrictionStore {
  const value = o.raw('restrictions');
  if (value === undefined) return [];
  if (isArray(value)) return o.list('restrictions');
  const what = `a list of restriction documents or a RestrictionStore (an object with ${STORE_METHODS.join(', ')})`;
  if (typeof value !== 'object' || value === null) throw o.wrong('restrictions', what);
  const missing = STORE_METHODS.find((m) => typeof member(value, m) !== 'function');
  if (missing !== undefined) throw configError(WHERE, 'restrictions', `must be ${what}; this object has no ${missing}() method`);
  return value as RestrictionStore;
}

/** Reads the clock once now: a clock that throws, or answers anything but a finite number, is refused here. */
function clockOption(o: OptionValues<GateOptions>): Clock {
  const clock = o.func<Clock>('clock', 'a function returning epoch milliseconds');
  if (clock === undefined) return Date.now;
  let now: unknown;
  try {
    now = clock();
  } catch (error) {
    throw configError(WHERE, 'clock', `threw when read (${describeError(error)})`, error);
  }
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw configError(WHERE, 'clock', `must return epoch milliseconds (a finite number), not ${describeValue(now)}`);
  return clock;
}

/** An error's message for another message, safely (anything can be thrown). */
function describeError(error: unknown): string {
  const text = member(error, 'message');
  return typeof text === 'string' ? text.slice(0, 200) : describeValue(error);
}

/**
 * The gate's clock as it is used: every reading a finite number. A reading
 * that is not (NaN, Infinity, a string, a throw) is replaced by the last good
 * one (time stands still rather than becoming NaN in a timer, where it would
 * end the process) and reported once per run of bad readings through
 * `report`, which the gate turns into an `error` event.
 */
export function steadyClock(clock: Clock, report: (text: string, error?: unknown) => void): Clock {
  let last = Date.now();
  let faulty = false;
  let schedule: Clock['schedule'];
  try {
    schedule = clock.schedule;
  } catch {
    schedule = undefined;
  }
  const steady = (() => {
    let now: unknown;
    let thrown: unknown;
    try {
      now = clock();
    } catch (error) {
      thrown = error;
    }
    if (typeof now === 'number' && Number.isFinite(now)) {
      faulty = false;
      last = now;
      return now;
    }
    if (!faulty) {
      faulty = true; // before reporting: the report reads the clock too
      report(
        thrown !== undefined
          ? `the clock threw (${describeError(thrown)}); using its last reading until it recovers`
          : `the clock returned ${describeValue(now)}, not epoch milliseconds; using its last reading until it recovers`,
        thrown,
      );
    }
    return last;
  }) as Clock;
  if (typeof schedule === 'function') {
    const own = schedule;
    steady.schedule = (at, fn) => own.call(clock, at, fn);
  }
  return steady;
}

/** Checks `createGate`'s options, every value once; throws `E_INVALID_CONFIG` naming the option at fault. */
export function readOptions(options: GateOptions): GateSettings {
  const o = optionValues<GateOptions>(options, WHERE, KNOWN);
  const geo = o.raw('geo') as GeoResolver | undefined;
  if (typeof member(geo, 'resolve') !== 'function') throw o.wrong('geo', 'a GeoResolver (an object with resolve(address))');

  const header = o.oneOf('forwardedHeader', ['x-forwarded-for', 'forwarded'] as const);
  const cdn = o.raw('cdn') as GateOptions['cdn'];
  let trusted: TrustedProxies;
  try {
    // Always compiled, even empty: the resolver then knows which forwarded header to look for when it
    // warns that one arrived from a proxy nobody trusts, and a CDN alone still needs its ranges.
    trusted = compileTrustedProxies((o.raw('trustedProxies') ?? []) as TrustedProxiesInput, {
      ...(header !== undefined ? { header } : {}),
      ...(cdn !== undefined ? { cdn } : {}),
    });
  } catch (error) {
    if (isGeoadmitError(error)) throw error;
    throw configError(WHERE, 'trustedProxies', `could not be read (${describeError(error)})`, error);
  }

  const rules = plugins<Rule>(o, 'rules', 'evaluate');
  const sources = plugins<LocationSource>(o, 'locationSources', 'locate');
  const restrictions = restrictionsOption(o);
  const lastKnown = o.raw('lastKnownRestrictions') === undefined ? undefined : o.list('lastKnownRestrictions');

  const audit = o.nested<GateAuditOptions>('audit', KNOWN_AUDIT);
  const ipMode = audit.oneOf('ip', IP_MODES, 'truncate');
  const hmacKey = audit.raw('hmacKey');
  if (hmacKey !== undefined && typeof hmacKey !== 'string' && !(hmacKey instanceof Uint8Array)) throw audit.wrong('hmacKey', 'a string or a Uint8Array');
  if (ipMode === 'hmac' && (hmacKey === undefined || hmacKey.length === 0)) throw configError(WHERE, 'audit.hmacKey', "is needed for audit.ip 'hmac'");

  const nodeId = o.raw('nodeId');
  // Bounded: it travels in every fleet message and every audit event.
  if (nodeId !== undefined && (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.length > 128 || /[\u0000-\u001f\u007f]/.test(nodeId)))
    throw o.wrong('nodeId', 'a string of 1 to 128 characters without control characters');

  return {
    geo: geo as GeoResolver,
    trusted,
    restrictions,
    lastKnownRestrictions: lastKnown,
    rules,
    sources,
    onRuleError: o.oneOf('onRuleError', ['deny', 'admit'] as const, 'deny'),
    ruleTimeoutMs: o.duration('ruleTimeoutMs', 1000),
    ipMode,
    hmacKey: hmacKey as string | Uint8Array | undefined,
    auditOnFailure: audit.oneOf('onFailure', ['deny', 'admit'] as const, 'admit'),
    onRemove: o.func('onRemove'),
    removalTimeoutMs: o.duration('removalTimeoutMs', 10_000),
    clock: clockOption(o),
    nodeId: nodeId as string | undefined,
    fleetTimeoutMs: o.duration('fleetTimeoutMs', 5000),
  };
}
