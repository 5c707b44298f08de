/**
 * A log's chain across processes: continuing an existing log (read the
 * chain's last line and its checkpoint, refuse a chain this sink cannot show
 * is its own or that does not verify at its tail) and the checkpoint file
 * that makes the next process able to. Apart from the sink's writing, which
 * only adopts the head `readChainTail` returns.
 */
import { basename, dirname } from 'node:path';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import type { AuditFs, AuditLine, FsyncMode } from '../types.js';
import { type Checkpoint, checkpointPath, decodeLine, type LineHasher, parseCheckpoint } from './record.js';
import { type CheckpointSigner, checkpointMac, sameText, verifyCheckpointSignature } from './signing.js';

/** The most of a file's end read to find its last line. */
const MAX_TAIL_BYTES = 1 << 20;

/** What continuing a chain needs to know of the sink. */
interface ContinueConfig {
  fs: AuditFs;
  hasher: LineHasher;
  checkpoint: boolean;
  key: string | Uint8Array | undefined;
  signer: CheckpointSigner | undefined;
}

/** The head a continued chain goes on from. */
interface ChainTail {
  seq: number;
  hash: string;
  /** The last line is a signature record (nothing after the last signature). */
  signed: boolean;
  /** A checkpoint file exists for the file (it is rewritten as the chain grows). */
  checkpointed: boolean;
}

/**
 * Read the last line of `file` (of `size` bytes); refuse to extend a chain that does not verify
 * there. `target` is the log the sink records to (named in the refusal).
 */
function readChainTail(file: string, size: number, target: string, config: ContinueConfig): ChainTail {
  const { fs } = config;
  const refuse = (why: string): never => {
    throw new GeoadmitError(
      ErrorCode.AuditIo,
      `audit log ${file} does not verify at its tail (${why}); check it with verifyAuditLog and move it aside before recording to ${target}`,
      { file },
    );
  };
  const fd = fs.openSync(file, 'r');
  let tail: Buffer;
  try {
    const length = Math.min(size, MAX_TAIL_BYTES);
    tail = Buffer.alloc(length);
    const read = fs.readSync(fd, tail, 0, length, size - length);
    tail = tail.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
  if (tail.at(-1) !== 0x0a) refuse('the last line is incomplete: a torn write');
  const start = tail.lastIndexOf(0x0a, tail.length - 2) + 1;
  if (start === 0 && size > tail.length) refuse(`the last line is longer than ${MAX_TAIL_BYTES} bytes`);
  const decoded = decodeLine(tail.subarray(start, tail.length - 1).toString('utf8'), config.hasher);
  if (decoded.kind !== 'ok') refuse(`last line: ${decoded.message}`);
  const last = (decoded as { line: AuditLine }).line;
  const cpText = fs.readTextSync(checkpointPath(file));
  if (cpText !== undefined) {
    const cp = parseCheckpoint(cpText);
    if (cp === undefined) refuse(`its checkpoint ${checkpointPath(file)} is malformed`);
    else if (cp.seq > last.seq) refuse(`the checkpoint records seq ${cp.seq} but the file ends at seq ${last.seq}: truncated`);
    else if (cp.seq === last.seq && cp.hash !== last.hash) refuse('the checkpoint hash differs from the last line');
    else checkOwnHead(cp, last, config, refuse);
  } else if (config.checkpoint && (config.key !== undefined || config.signer !== undefined)) {
    refuse(
      `there is no checkpoint (${basename(checkpointPath(file))}), so nothing shows this sink wrote the chain it would continue: it may have been rewritten or cut short`,
    );
  } else if (config.signer !== undefined && !signsLineBefore(last, config.signer)) {
    // Without a checkpoint file, a signing sink's log ends with its signed record (written at close).
    refuse('its last line is not a signature of this sink: the lines at its end are not signed');
  }
  return { seq: last.seq, hash: last.hash, signed: last.event.type === 'audit.checkpoint', checkpointed: cpText !== undefined };
}

/**
 * A keyed or signing sink continues only a chain it can show is its own:
 * the checkpoint must carry a valid HMAC / signature under this sink's
 * key, and with a signing key every line after the signed head must be
 * covered by a signature too — the sink never signs lines it did not write.
 */
function checkOwnHead(cp: Checkpoint, last: AuditLine, config: ContinueConfig, refuse: (why: string) => never): void {
  const { key, signer } = config;
  if (key !== undefined && (cp.mac === undefined || !sameText(cp.mac, checkpointMac(key, cp.seq, cp.hash)))) {
    refuse('the checkpoint HMAC does not verify with this key: the checkpoint was rewritten, or the log was written with another key');
  }
  if (signer === undefined) return;
  if (!verifyCheckpointSignature(signer.publicKey, cp.seq, cp.hash, cp.signature)) {
    refuse(
      cp.signature === undefined
        ? 'the checkpoint carries no signature: the log was not signed with this key, or its checkpoint was rewritten'
        : 'the checkpoint signature does not verify with this signing key: the checkpoint was rewritten, or the log was signed with another key',
    );
  }
  if (cp.seq === last.seq) return;
  // After a signed head, the last line may be a signed checkpoint record over the line before it.
  if (!signsLineBefore(last, signer)) {
    refuse(
      `${last.seq - cp.seq} line(s) after the last signature (seq ${cp.seq}) are not signed: written by a process that stopped before signing them, or by someone else; check the log with its public key and move it aside`,
    );
  }
}

/** Whether `last` is a checkpoint record `signer`'s key signed over the line before it. */
function signsLineBefore(last: AuditLine, signer: CheckpointSigner): boolean {
  const record = last.event as unknown as Record<string, unknown>;
  return (
    last.event.type === 'audit.checkpoint' &&
    record.seq === last.seq - 1 &&
    record.hash === last.prev &&
    verifyCheckpointSignature(signer.publicKey, last.seq - 1, last.prev, record.signature)
  );
}

/** Where the sink stands when it opens its file. */
interface OpenState {
  /** The last line this sink wrote (0 before any). */
  lastSeq: number;
  /** The highest rotated file `<path>.n` (0 when none). */
  rotationIndex: number;
  /** The open file was removed or replaced: a file now at the path was not written by this sink. */
  startFresh: boolean;
}

/**
 * The chain the sink continues when it opens `path`: the file at the path when it has lines, or,
 * after a restart between a rotation and the next line, the newest rotated file (`rotated`, to
 * link the new file to). Refuses a file that replaced the sink's own while it was open.
 */
export function chainToContinue(path: string, state: OpenState, config: ContinueConfig): { tail: ChainTail; rotated?: string } | undefined {
  const st = config.fs.statSync(path);
  if (st !== undefined && st.size > 0 && state.startFresh) {
    throw new GeoadmitError(
      ErrorCode.AuditIo,
      `audit log ${path}: the file was replaced while the sink had it open; this sink did not write the file now at that path and will not continue or sign its chain (move it aside: a new file then continues the sink's own chain)`,
      { file: path },
    );
  }
  if (st !== undefined && st.size > 0) return { tail: readChainTail(path, st.size, path, config) };
  if (state.lastSeq !== 0 || state.rotationIndex === 0) return undefined;
  const previous = `${path}.${state.rotationIndex}`;
  const pst = config.fs.statSync(previous);
  if (pst === undefined || pst.size === 0) return undefined;
  return { tail: readChainTail(previous, pst.size, path, config), rotated: previous };
}

/** The highest `n` of the rotated files `<log>.n` next to `path` (0 when there are none). */
export function highestRotation(fs: AuditFs, path: string): number {
  const base = basename(path);
  let highest = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dirname(path));
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const n = name.slice(base.length + 1);
    if (/^[1-9][0-9]{0,8}$/.test(n)) highest = Math.max(highest, Number(n));
  }
  return highest;
}

/**
 * Replace the checkpoint of `path` atomically (temp file, fsync, rename): the head `seq` / `hash`,
 * with an HMAC of it (`key`) and a signature (`signer`).
 */
export function writeCheckpointFile(path: string, seq: number, hash: string, time: string, config: ContinueConfig & { fsyncMode: FsyncMode }): void {
  const { fs, key, signer } = config;
  const target = checkpointPath(path);
  const temp = `${target}.tmp-${process.pid}`;
  const record: Record<string, unknown> = { version: 1, seq, hash, file: basename(path), time };
  if (key !== undefined) record.mac = checkpointMac(key, seq, hash);
  if (signer !== undefined) {
    record.signature = signer.sign(seq, hash);
    record.publicKeyFingerprint = signer.fingerprint;
  }
  const text = `${JSON.stringify(record)}\n`;
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, Buffer.from(text, 'utf8'));
    if (config.fsyncMode !== 'never') fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, target);
}
