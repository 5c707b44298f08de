import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { generateAuditSigningKeys } from '../../audit/index.js';
import type { AuditHead, AuditVerification } from '../../audit/index.js';
import { linkChain, parseCheckpoint, publicKeyFingerprint, publicVerifyKey } from '../../audit/checks.js';
import { scanAuditLog } from '../../audit/verify.js';
import { GeoadmitError } from '../../errors/index.js';
import { type CliContext, CliExitCode, CliUsageError, count, keyFromEnv } from './context.js';
import { readTextDocument, requireFile } from './files.js';
import { byteProgress } from './progress.js';

/** Options of `geoadmit audit verify`. */
interface AuditVerifyOptions {
  /** Environment variable holding the HMAC key the sink was given (never a command-line argument: those show in `ps`). */
  keyEnv?: string;
  /** `--public-key FILE` or `LOG=FILE` (repeatable): SPKI PEM files of the keys that signed the logs. */
  publicKey?: string[];
  /** `SEQ:HASH`, a head published earlier (e.g. in a transparency report). */
  expectHead?: string;
  checkpoint?: boolean;
  json?: boolean;
  /** `--no-progress`: no progress bar even on a terminal. */
  progress?: boolean;
}

/** Options of `geoadmit audit keygen`. */
interface AuditKeygenOptions {
  out: string;
  json?: boolean;
}

/** File names `audit keygen` writes. */
const PRIVATE_KEY_FILE = 'audit-signing.key';
const PUBLIC_KEY_FILE = 'audit-signing.pub';

const KEY_HINT = 'was this log written with a key? pass --key-env <VAR> naming the environment variable that holds it';
const NOT_A_LOG = 'this is not a geoadmit audit log (its first line is not a record the audit sink writes)';
const NO_CHECKPOINT =
  'no checkpoint was checked: a log cut short at a record boundary cannot be told from a complete one (pass --public-key or --key-env for a log that has one)';
const UNCHECKED =
  'the log is signed, but its signatures were NOT checked: without --public-key nothing shows who wrote it (anyone can leave old signatures in place and re-chain the hashes); pass --public-key FILE';

/** A public key from a file, and the file's base name (what a report tells its readers to use). */
interface KeyFile {
  pem: string;
  file: string;
}

/**
 * `--public-key` values: `FILE` (for every log) or `LOG=FILE` (for that log,
 * named as on the command line). A value is `LOG=FILE` only when its part
 * before `=` is one of the logs given, so a key file whose name holds `=` still works.
 */
export async function readKeyArgs(
  ctx: CliContext,
  values: readonly string[],
  logs: readonly string[],
): Promise<{ byLog: Map<string, KeyFile>; plain: KeyFile[] }> {
  const byLog = new Map<string, KeyFile>();
  const plain: KeyFile[] = [];
  for (const value of values) {
    const at = value.indexOf('=');
    const log = at > 0 ? value.slice(0, at) : undefined;
    const forLog = log !== undefined && logs.includes(log);
    const path = forLog ? value.slice(at + 1) : value;
    const pem = await readTextDocument(ctx.cwd, path, 'public key');
    try {
      publicVerifyKey(pem, '--public-key');
    } catch (error) {
      throw new CliUsageError(`--public-key ${path}: not an Ed25519 public key (SPKI PEM): ${(error as Error).message}`, [], { cause: error });
    }
    const key = { pem, file: basename(path) };
    if (forLog) {
      if (byLog.has(log as string)) throw new CliUsageError(`--public-key: two keys given for ${log}`);
      byLog.set(log as string, key);
    } else plain.push(key);
  }
  return { byLog, plain };
}

/** The key a log is checked with: its own (`LOG=FILE`), else the one plain key, else the plain key its checkpoint names. */
export async function keyForLog(keys: { byLog: Map<string, KeyFile>; plain: KeyFile[] }, log: string, file: string): Promise<KeyFile | undefined> {
  const own = keys.byLog.get(log);
  if (own !== undefined || keys.plain.length <= 1) return own ?? keys.plain[0];
  let claimed: string | undefined;
  try {
    const handle = await open(`${file}.checkpoint`, 'r');
    try {
      const buffer = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      claimed = parseCheckpoint(buffer.subarray(0, bytesRead).toString('utf8'))?.publicKeyFingerprint;
    } finally {
      await handle.close();
    }
  } catch {
    claimed = undefined;
  }
  // Only a hint for which key to try: the signatures decide.
  return keys.plain.find((k) => publicKeyFingerprint(publicVerifyKey(k.pem)) === claimed) ?? keys.plain[0];
}

/** Parse `--expect-head SEQ:HASH`. */
function parseHead(text: string): AuditHead {
  const match = /^([1-9][0-9]{0,15}):([0-9a-fA-F]{64})$/.exec(text.trim());
  const seq = match === null ? Number.NaN : Number(match[1]);
  if (match === null || !Number.isSafeInteger(seq)) {
    throw new CliUsageError(`--expect-head must be SEQ:HASH (a sequence number, a colon, 64 hex digits), got ${JSON.stringify(text)}`);
  }
  return { seq, hash: (match[2] as string).toLowerCase() };
}

type FileResult = AuditVerification & { file: string; hint?: string; warning?: string; warnings?: string[] };

/** `geoadmit audit verify <file...>`: exit 0 when every file verifies (and a set of rotated files links up), 1 when any does not. */
export async function runAuditVerify(ctx: CliContext, paths: readonly string[], options: AuditVerifyOptions): Promise<number> {
  const key = keyFromEnv(ctx, options.keyEnv);
  const keys = await readKeyArgs(ctx, options.publicKey ?? [], paths);
  const expectHead = options.expectHead === undefined ? undefined : parseHead(options.expectHead);
  if (expectHead !== undefined && paths.length !== 1) throw new CliUsageError('--expect-head names the head of one log: give one file');
  const files: { file: string; size: number }[] = [];
  for (const path of paths) files.push(await requireFile(ctx.cwd, path, 'audit log'));
  const total = files.reduce((n, f) => n + f.size, 0);
  const bar = byteProgress(ctx, 'verify', total, options.progress !== false);
  let read = 0;
  const results: FileResult[] = [];
  try {
    for (const [i, path] of paths.entries()) {
      const { file } = files[i] as { file: string };
      const publicKey = await keyForLog(keys, path, file);
      let verification: AuditVerification;
      try {
        verification = await scanAuditLog(
          file,
          {
            ...(key === undefined ? {} : { key }),
            ...(publicKey === undefined ? {} : { publicKey: publicKey.pem }),
            ...(expectHead === undefined ? {} : { expectHead }),
            ...(options.checkpoint === false ? { checkpoint: false as const } : {}),
          },
          undefined,
          bar === undefined ? {} : { onBytes: (n) => bar.update((read += n)) },
        );
      } catch (error) {
        // A public key file that is not an Ed25519 key is bad input, not a finding.
        if (error instanceof GeoadmitError && error.code === 'E_INVALID_CONFIG') throw new CliUsageError(error.message, [], { cause: error });
        throw error;
      }
      const result: FileResult = { file: path, ...verification };
      if (!verification.ok && verification.line === 1) {
        // A keyed log read without its key fails its first line's hash; anything else there is not a log at all.
        if (verification.problem === 'malformed') result.hint = NOT_A_LOG;
        else if (key === undefined && verification.problem === 'edited') result.hint = KEY_HINT;
      }
      const warnings: string[] = [];
      if (verification.ok && !verification.checkpoint) warnings.push(NO_CHECKPOINT);
      if (verification.signatures === 'unchecked') warnings.push(UNCHECKED);
      const tail = verification.unsignedTail;
      if (tail !== undefined && tail.events > 0) {
        warnings.push(
          `${tail.events} event(s) after the last signature (seq ${verification.signedThrough}) are not signed: written just before the service stopped, or added by someone without the key`,
        );
      }
      if (warnings.length > 0) {
        result.warning = warnings.join('; ');
        result.warnings = warnings;
      }
      results.push(result);
    }
  } finally {
    bar?.stop();
  }
  // Several files: rotated parts of one log must link up, each to the one before it.
  if (results.length > 1) {
    const links = linkChain(results.map((r, i) => ({ path: (files[i] as { file: string }).file, previous: r.previous, head: r.head })));
    for (const [i, gap] of links.gaps) {
      const r = results[i] as FileResult;
      if (!r.ok) continue;
      r.ok = false;
      r.problem = 'gap';
      r.message = gap;
      delete r.line;
    }
  }
  const ok = results.every((r) => r.ok);
  if (options.json === true) ctx.printJson({ ok, files: results });
  else for (const r of results) printResult(ctx, r);
  if (options.json !== true) for (const r of results) for (const w of r.warnings ?? []) ctx.note(ctx.err.yellow(`warning: ${r.file}: ${w}`));
  return ok ? CliExitCode.Ok : CliExitCode.Findings;
}

function printResult(ctx: CliContext, r: FileResult): void {
  const c = ctx.out;
  if (!r.ok) {
    const where = r.line === undefined ? '' : ` at line ${r.line}`;
    ctx.print(`${c.red('✗')} ${r.file}: ${r.problem ?? 'failed'}${where}${r.message === undefined ? '' : `: ${r.message}`}`);
    if (r.hint !== undefined) ctx.print(`  ${c.yellow(`hint: ${r.hint}`)}`);
    return;
  }
  const parts = [`${count(r.events)} events, ${count(r.lines)} lines verified`];
  if (r.checkpoint) parts.push('checkpoint agrees');
  if (r.signatures === 'verified') {
    const tail = r.unsignedTail;
    parts.push(
      tail === undefined
        ? 'signed through the last line'
        : `signed through seq ${r.signedThrough} (${tail.lines} line(s) after it, ${tail.events} event(s), NOT signed)`,
    );
    parts.push(`key ${r.publicKeyFingerprint}`);
  } else if (r.signatures === 'unchecked') parts.push('signatures NOT checked');
  parts.push(`head ${r.head.seq}:${r.head.hash}`);
  // A chain that holds but whose signatures were not checked, or end before the log does, is no plain success.
  const doubt = r.signatures === 'unchecked' || (r.unsignedTail?.events ?? 0) > 0;
  ctx.print(`${doubt ? c.yellow('!') : c.green('✓')} ${r.file}: ${parts.join(', ')}`);
}

/**
 * `geoadmit audit keygen --out DIR`: an Ed25519 key pair for signed audit
 * logs. The private key (PKCS#8 PEM) is written with mode 0600 and never over
 * an existing file; the public key (SPKI PEM) is what a report's readers get.
 */
export async function runAuditKeygen(ctx: CliContext, options: AuditKeygenOptions): Promise<number> {
  const dir = resolve(ctx.cwd, options.out);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CliUsageError(`cannot create ${options.out}: ${(error as Error).message}`, [], { cause: error });
  }
  const info = await stat(dir);
  if (!info.isDirectory()) throw new CliUsageError(`--out ${options.out} is not a directory`);
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  const keys = generateAuditSigningKeys();
  try {
    // `wx`: an existing key is never replaced (the logs it signed would no longer verify against a published key).
    await writeFile(privatePath, keys.privateKey, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
    throw new CliUsageError(
      exists
        ? `${privatePath} already exists: refusing to replace a signing key (move it aside first)`
        : `cannot write ${privatePath}: ${(error as Error).message}`,
      [],
      { cause: error },
    );
  }
  try {
    await replaceFile(publicPath, keys.publicKey, 0o644);
  } catch (error) {
    throw new CliUsageError(`cannot write ${publicPath}: ${(error as Error).message}`, [], { cause: error });
  }
  if (options.json === true) {
    ctx.printJson({ privateKey: privatePath, publicKey: publicPath, publicKeyFingerprint: keys.fingerprint });
  } else {
    ctx.print(`wrote ${privatePath} (private, mode 0600: give it to the audit sink as signingKey; keep it secret)`);
    ctx.print(`wrote ${publicPath} (public: publish it with your transparency reports)`);
    ctx.print(`fingerprint ${keys.fingerprint}`);
  }
  return CliExitCode.Ok;
}

/**
 * Write `text` to `path` without ever writing through a link planted there:
 * a new file (exclusive create, never following a link) renamed over the
 * path, which replaces a link itself rather than the file it points to.
 * A directory at the path is refused.
 */
async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory() === true) throw new Error('a directory is in the way');
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, text, { mode, flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
