/**
 * Reading the audit logs a report is built from: which logs a report input
 * names and with which keys, the order rotated files are read in, and each
 * log verified while its events are counted (apart from the counting itself,
 * in build.ts).
 */
import type { KeyObject } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { linkChain, parseCheckpoint, publicKeyFingerprint, publicVerifyKey } from '../../audit/checks.js';
import type { AuditLine, AuditVerification } from '../../audit/types.js';
import { scanAuditLog } from '../../audit/verify.js';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { AuditEvent } from '../../events/types.js';
import type { ReportInput, ReportLog, ReportPublicKey, ReportSource, TransparencyReportOptions } from '../types.js';

/** What reading the logs hands the events to: the report's counting. */
interface LogReader {
  /** A new log starts (not a rotated part of the one before). */
  startSource(): void;
  /** One record of the log (an event or the log's own bookkeeping, which counting skips). */
  add(record: object): void;
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<AuditEvent> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** A log as the report reads it: its key resolved, its public name chosen. */
interface LogInput {
  path: string;
  name: string;
  key: KeyObject | undefined;
  keyFile: string | undefined;
}

/** A log entry `{ path, ... }` — never an event (events have a `type`; a refusal's `path` is a JSON path). */
function isReportLog(value: unknown): value is ReportLog {
  return (
    typeof value === 'object' && value !== null && typeof (value as { path?: unknown }).path === 'string' && (value as { type?: unknown }).type === undefined
  );
}

/** The logs of a report input (`undefined` for events in hand), each named and with its key. */
export function logsOf(source: ReportInput, options: TransparencyReportOptions): LogInput[] | undefined {
  const list: readonly unknown[] | undefined =
    typeof source === 'string'
      ? [source]
      : Array.isArray(source) && source.length > 0 && source.every((s) => typeof s === 'string' || isReportLog(s))
        ? source
        : undefined;
  if (list === undefined) return Array.isArray(source) && source.length === 0 ? [] : undefined;
  const given = list.map((entry) => (typeof entry === 'string' ? { path: entry } : (entry as ReportLog)));
  const names = options.names ?? {};
  const taken = new Map<string, number>();
  const keys = keyChoice(options);
  return given.map((log) => {
    let name = log.name ?? names[log.path] ?? basename(log.path);
    if (typeof name !== 'string' || name === '')
      throw new GeoadmitError(ErrorCode.InvalidConfig, `the name of log ${basename(log.path)} must be a non-empty string`, { argument: 'names' });
    // Two nodes' logs often share a base name: the report must still tell them apart.
    const n = (taken.get(name) ?? 0) + 1;
    taken.set(name, n);
    if (n > 1) name = `${name} (${n})`;
    const explicit = log.publicKey ?? keys.byName.get(log.path) ?? keys.byName.get(name);
    return {
      path: log.path,
      name,
      key: explicit === undefined ? undefined : publicVerifyKey(explicit, 'publicKeys'),
      keyFile: log.publicKeyFile,
    };
  });
}

/** The keys given: per log (by path or name), or a list to choose from. */
function keyChoice(options: TransparencyReportOptions): { byName: Map<string, ReportPublicKey>; list: KeyObject[] } {
  const byName = new Map<string, ReportPublicKey>();
  const list: KeyObject[] = [];
  const keys = options.publicKeys;
  if (options.publicKey !== undefined) list.push(publicVerifyKey(options.publicKey, 'publicKey'));
  if (Array.isArray(keys)) for (const k of keys as readonly ReportPublicKey[]) list.push(publicVerifyKey(k, 'publicKeys'));
  else if (typeof keys === 'object' && keys !== null) {
    for (const [name, k] of Object.entries(keys as Record<string, ReportPublicKey>)) byName.set(name, k);
  } else if (keys !== undefined) {
    throw new GeoadmitError(ErrorCode.InvalidConfig, 'publicKeys must be a list of public keys or an object of keys by log', { argument: 'publicKeys' });
  }
  return { byName, list };
}

/** Of several keys, the one a log names (its checkpoint file says which key signed; only a hint, the signature decides). */
async function pickKey(path: string, list: readonly KeyObject[]): Promise<KeyObject | undefined> {
  if (list.length <= 1) return list[0];
  const claimed = parseCheckpoint(await readSmall(`${path}.checkpoint`))?.publicKeyFingerprint;
  return list.find((k) => publicKeyFingerprint(k) === claimed) ?? list[0];
}

async function readSmall(path: string): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/** The link of a file to the one before it and its last line, read cheaply: the order the report reads a set of rotated files in. */
async function peek(path: string): Promise<{ previous?: { file: string; seq: number; hash: string }; head: { seq: number; hash: string } }> {
  const none = { head: { seq: 0, hash: '' } };
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch {
    return none;
  }
  try {
    const size = (await handle.stat()).size;
    const first = Buffer.alloc(Math.min(size, 4096));
    await handle.read(first, 0, first.length, 0);
    const lastChunk = Buffer.alloc(Math.min(size, 1 << 16));
    await handle.read(lastChunk, 0, lastChunk.length, size - lastChunk.length);
    const firstLine = first.toString('utf8').split('\n')[0] ?? '';
    const lines = lastChunk.toString('utf8').trimEnd().split('\n');
    const parse = (text: string): Record<string, unknown> | undefined => {
      try {
        const v = JSON.parse(text) as unknown;
        return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    };
    const start = parse(firstLine);
    const last = parse(lines.at(-1) ?? '');
    const p = (start?.event as { previous?: Record<string, unknown> } | undefined)?.previous;
    const out: { previous?: { file: string; seq: number; hash: string }; head: { seq: number; hash: string } } = {
      head: { seq: typeof last?.seq === 'number' ? last.seq : 0, hash: typeof last?.hash === 'string' ? last.hash : '' },
    };
    if (p !== undefined && typeof p.file === 'string' && typeof p.seq === 'number' && typeof p.hash === 'string') {
      out.previous = { file: p.file, seq: p.seq, hash: p.hash };
    }
    return out;
  } catch {
    return none;
  } finally {
    await handle.close();
  }
}

/**
 * Read every log: rotated parts of one log in chain order as one log (an
 * acceptance in one part attributes the removals in the next), each verified
 * with its key; of a log whose signatures verified, only the signed part is
 * counted. Then the files are linked as chains and every gap is named.
 */
export async function readLogs(builder: LogReader, logs: LogInput[], options: TransparencyReportOptions): Promise<ReportSource[]> {
  const keys = keyChoice(options);
  const peeked = await Promise.all(logs.map(async (l) => ({ path: l.path, ...(await peek(l.path)) })));
  const order = linkChain(peeked);
  let total = 0;
  for (const l of logs)
    total += await stat(l.path).then(
      (st) => st.size,
      () => 0,
    );
  let read = 0;
  const onBytes = options.onProgress === undefined ? undefined : (bytes: number) => options.onProgress?.((read += bytes), total);
  const results: (AuditVerification & { key: KeyObject | undefined })[] = new Array(logs.length);
  for (const i of order.order) {
    const log = logs[i] as LogInput;
    if (!order.linked.has(i)) builder.startSource();
    const key = log.key ?? (await pickKey(log.path, keys.list));
    const verify = {
      ...(options.key === undefined ? {} : { key: options.key }),
      ...(key === undefined ? {} : { publicKey: key }),
    };
    const result = await scanAuditLog(log.path, verify, (line: AuditLine) => builder.add(line.event), {
      release: 'signed',
      ...(onBytes === undefined ? {} : { onBytes }),
    });
    results[i] = { ...result, key };
  }
  // Linked again from what verification found (the first look read the files unverified).
  const links = linkChain(logs.map((l, i) => ({ path: l.path, previous: results[i]?.previous, head: (results[i] as AuditVerification).head })));
  const names = new Map(logs.map((l) => [basename(l.path), l.name]));
  const named = (text: string): string => {
    // Messages name files by base name; the report names them as the caller asked.
    let out = text;
    for (const [file, name] of names) if (file !== name) out = out.split(file).join(name);
    return out;
  };
  return links.order.map((i) => {
    const log = logs[i] as LogInput;
    const result = results[i] as AuditVerification;
    const tail = result.unsignedTail;
    const entry: ReportSource = {
      name: log.name,
      verified: result.ok,
      events: result.events - (tail?.events ?? 0),
      head: result.head,
      signatures: result.signatures,
    };
    if (result.signedThrough !== undefined) entry.signedThrough = result.signedThrough;
    if (tail !== undefined) entry.unsignedTail = tail;
    if (result.signature !== undefined) entry.signature = result.signature;
    if (result.publicKeyFingerprint !== undefined) {
      entry.publicKeyFingerprint = result.publicKeyFingerprint;
      if (log.keyFile !== undefined) entry.publicKeyFile = log.keyFile;
    }
    const continues = links.continues.get(i);
    if (continues !== undefined) entry.continues = names.get(continues) ?? continues;
    const gap = links.gaps.get(i);
    if (result.problem !== undefined) entry.problem = result.problem;
    else if (gap !== undefined) {
      entry.verified = false;
      entry.problem = 'gap';
    }
    if (result.line !== undefined) entry.line = result.line;
    const message = result.message ?? gap;
    if (message !== undefined) entry.message = named(message);
    return entry;
  });
}
