import * as crypto from 'node:crypto';
import type { AuditLine } from '../types.js';
import { serialiseRecord } from './serialise.js';

/** `prev` of the first line of a chain. */
export const ZERO_HASH = '0'.repeat(64);

const HEX64 = /^[0-9a-f]{64}$/;
const HEAD_TEXT = '{"event":';

/** Computes line hashes: SHA-256, or HMAC-SHA-256 when a key is given. */
export type LineHasher = (body: string) => string;

export function lineHasher(key: string | Uint8Array | undefined): LineHasher {
  if (key !== undefined) return (body) => crypto.createHmac('sha256', key).update(body).digest('hex');
  // crypto.hash (Node >= 20.12) is a one-shot several times faster than createHash.
  const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
  if (typeof oneShot === 'function') return (body) => oneShot('sha256', body, 'hex');
  return (body) => crypto.createHash('sha256').update(body).digest('hex');
}

/** An encoded line: its text (with newline) and hash. */
interface EncodedLine {
  seq: number;
  hash: string;
  text: string;
}

/**
 * The hashed body is the canonical JSON of `{event, prev, seq}`; the line is
 * the canonical JSON of `{event, hash, prev, seq}`. Both are built from the one
 * canonical serialisation of the event, so verification needs one pass.
 */
function bodyOf(eventJson: string, prev: string, seq: number): string {
  return `{"event":${eventJson},"prev":"${prev}","seq":${seq}}`;
}

function lineOf(eventJson: string, hash: string, prev: string, seq: number): string {
  return `${HEAD_TEXT}${eventJson},"hash":"${hash}","prev":"${prev}","seq":${seq}}`;
}

/** Encode one record as a line, chained to `prev`. */
export function encodeLine(event: object, seq: number, prev: string, hasher: LineHasher): EncodedLine {
  return encodeSerialised(serialiseRecord(event), seq, prev, hasher);
}

/** Encode a record already in canonical JSON as a line, chained to `prev`. */
export function encodeSerialised(eventJson: string, seq: number, prev: string, hasher: LineHasher): EncodedLine {
  const hash = hasher(bodyOf(eventJson, prev, seq));
  return { seq, hash, text: `${lineOf(eventJson, hash, prev, seq)}\n` };
}

/** Result of checking one line on its own (not its place in the chain). */
export type DecodedLine = { kind: 'ok'; line: AuditLine } | { kind: 'malformed'; message: string } | { kind: 'edited'; line: AuditLine; message: string };

/** The fixed tail every line ends with (keys after `event`, sorted). */
const TAIL = /,"hash":"([0-9a-f]{64})","prev":"([0-9a-f]{64})","seq":([1-9][0-9]{0,15})\}$/;

/**
 * Parse a line (without its newline) and check its shape and own hash. The
 * input is hostile: anything unexpected is `malformed`.
 *
 * The sink writes `{"event":E,"hash":"H","prev":"P","seq":N}` with E in
 * canonical form; H covers `{"event":E,"prev":"P","seq":N}`. So the hash is
 * checked over the very bytes of the line (any change shows) without
 * re-serialising, and a line in any other layout was rewritten: `edited`.
 */
export function decodeLine(text: string, hasher: LineHasher): DecodedLine {
  const tail = text.startsWith(HEAD_TEXT) ? TAIL.exec(text) : null;
  if (tail === null) return decodeRewritten(text);
  const [, hash = '', prev = '', seqText = ''] = tail;
  const eventJson = text.slice(HEAD_TEXT.length, tail.index);
  let event: unknown;
  try {
    event = JSON.parse(eventJson);
  } catch {
    return { kind: 'malformed', message: '"event" is not valid JSON' };
  }
  const bad = eventProblem(event);
  if (bad !== undefined) return { kind: 'malformed', message: bad };
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq)) return { kind: 'malformed', message: '"seq" is not a safe integer' };
  const line = { seq, prev, hash, event } as AuditLine;
  if (hasher(bodyOf(eventJson, prev, seq)) !== hash) {
    return { kind: 'edited', line, message: 'the line does not match its hash' };
  }
  return { kind: 'ok', line };
}

function eventProblem(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return '"event" is not an object';
  if (typeof (event as Record<string, unknown>).type !== 'string') return '"event.type" is not a string';
  return undefined;
}

/** A line not in the sink's layout: a rewritten record is `edited`, anything else `malformed`. */
function decodeRewritten(text: string): DecodedLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'malformed', message: 'not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'malformed', message: 'not a JSON object' };
  }
  const rec = parsed as Record<string, unknown>;
  const keys = Object.keys(rec).sort().join(',');
  if (keys !== 'event,hash,prev,seq') return { kind: 'malformed', message: `unexpected fields (${keys.slice(0, 80)})` };
  const { event, hash, prev, seq } = rec;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    return { kind: 'malformed', message: '"seq" is not a positive integer' };
  }
  if (typeof prev !== 'string' || !HEX64.test(prev)) return { kind: 'malformed', message: '"prev" is not a 64-digit hex hash' };
  if (typeof hash !== 'string' || !HEX64.test(hash)) return { kind: 'malformed', message: '"hash" is not a 64-digit hex hash' };
  const bad = eventProblem(event);
  if (bad !== undefined) return { kind: 'malformed', message: bad };
  return { kind: 'edited', line: rec as unknown as AuditLine, message: 'the line is not in the canonical form the sink writes' };
}

/** Types of the records the log writes about itself (not audit events). */
export function isMetaType(type: string): boolean {
  return type === 'audit.start' || type === 'audit.gap' || type === 'audit.checkpoint';
}

/**
 * Shape of `<path>.checkpoint`: the head of the log. With a key it carries
 * `mac` (HMAC of the head), with a signing key `signature` and the key's
 * fingerprint, so it cannot be rewritten to match a cut-off log.
 */
export interface Checkpoint {
  version: 1;
  seq: number;
  hash: string;
  file: string;
  time: string;
  mac?: string;
  signature?: string;
  publicKeyFingerprint?: string;
}

/** Parse a checkpoint file's text; `undefined` when it is not one. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const cp = parsed as Record<string, unknown>;
  if (typeof cp.seq !== 'number' || !Number.isSafeInteger(cp.seq) || cp.seq < 0) return undefined;
  if (typeof cp.hash !== 'string' || !HEX64.test(cp.hash)) return undefined;
  const out: Checkpoint = {
    version: 1,
    seq: cp.seq,
    hash: cp.hash,
    file: typeof cp.file === 'string' ? cp.file : '',
    time: typeof cp.time === 'string' ? cp.time : '',
  };
  if (typeof cp.mac === 'string') out.mac = cp.mac;
  if (typeof cp.signature === 'string') out.signature = cp.signature;
  if (typeof cp.publicKeyFingerprint === 'string') out.publicKeyFingerprint = cp.publicKeyFingerprint;
  return out;
}

/** Path of the checkpoint belonging to a log file. */
export function checkpointPath(path: string): string {
  return `${path}.checkpoint`;
}
