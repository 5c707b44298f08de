import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateAuditSigningKeys, verifyAuditLog } from '../../audit/index.js';
import type { AuditHead, AuditVerification } from '../../audit/index.js';
import { GeoadmitError } from '../../errors/index.js';
import { type CliContext, CliExitCode, CliUsageError, count, keyFromEnv } from './context.js';
import { readTextDocument, requireFile } from './files.js';

/** Options of `geoadmit audit verify`. */
export interface AuditVerifyOptions {
  /** Environment variable holding the HMAC key the sink was given (never a command-line argument: those show in `ps`). */
  keyEnv?: string;
  /** SPKI PEM file of the key that signed the log. */
  publicKey?: string;
  /** `SEQ:HASH`, a head published earlier (e.g. in a transparency report). */
  expectHead?: string;
  checkpoint?: boolean;
  json?: boolean;
}

/** Options of `geoadmit audit keygen`. */
export interface AuditKeygenOptions {
  out: string;
  json?: boolean;
}

/** File names `audit keygen` writes. */
export const PRIVATE_KEY_FILE = 'audit-signing.key';
export const PUBLIC_KEY_FILE = 'audit-signing.pub';

const KEY_HINT = 'was this log written with a key? pass --key-env <VAR> naming the environment variable that holds it';
const NOT_A_LOG = 'this is not a geoadmit audit log (its first line is not a record the audit sink writes)';
const NO_CHECKPOINT =
  'no checkpoint was checked: a log cut short at a record boundary cannot be told from a complete one (pass --public-key or --key-env for a log that has one)';

/** Parse `--expect-head SEQ:HASH`. */
export function parseHead(text: string): AuditHead {
  const match = /^([1-9][0-9]{0,15}):([0-9a-fA-F]{64})$/.exec(text.trim());
  const seq = match === null ? Number.NaN : Number(match[1]);
  if (match === null || !Number.isSafeInteger(seq)) {
    throw new CliUsageError(`--expect-head must be SEQ:HASH (a sequence number, a colon, 64 hex digits), got ${JSON.stringify(text)}`);
  }
  return { seq, hash: (match[2] as string).toLowerCase() };
}

type FileResult = AuditVerification & { file: string; hint?: string; warning?: string };

/** `geoadmit audit verify <file...>`: exit 0 when every file verifies, 1 when any does not. */
export async function runAuditVerify(ctx: CliContext, paths: readonly string[], options: AuditVerifyOptions): Promise<number> {
  const key = keyFromEnv(ctx, options.keyEnv);
  const publicKey = options.publicKey === undefined ? undefined : await readTextDocument(ctx.cwd, options.publicKey, 'public key');
  const expectHead = options.expectHead === undefined ? undefined : parseHead(options.expectHead);
  if (expectHead !== undefined && paths.length !== 1) throw new CliUsageError('--expect-head names the head of one log: give one file');
  const results: FileResult[] = [];
  for (const path of paths) {
    const { file } = await requireFile(ctx.cwd, path, 'audit log');
    let verification: AuditVerification;
    try {
      verification = await verifyAuditLog(file, {
        ...(key === undefined ? {} : { key }),
        ...(publicKey === undefined ? {} : { publicKey }),
        ...(expectHead === undefined ? {} : { expectHead }),
        ...(options.checkpoint === false ? { checkpoint: false as const } : {}),
      });
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
    if (verification.ok && !verification.checkpoint) result.warning = NO_CHECKPOINT;
    results.push(result);
  }
  const ok = results.every((r) => r.ok);
  if (options.json === true) ctx.printJson({ ok, files: results });
  else for (const r of results) printResult(ctx, r, publicKey !== undefined);
  for (const r of results) if (r.warning !== undefined && options.json !== true) ctx.note(ctx.err.yellow(`warning: ${r.file}: ${r.warning}`));
  return ok ? CliExitCode.Ok : CliExitCode.Findings;
}

function printResult(ctx: CliContext, r: FileResult, signed: boolean): void {
  const c = ctx.out;
  if (!r.ok) {
    const where = r.line === undefined ? '' : ` at line ${r.line}`;
    ctx.print(`${c.red('✗')} ${r.file}: ${r.problem ?? 'failed'}${where}${r.message === undefined ? '' : `: ${r.message}`}`);
    if (r.hint !== undefined) ctx.print(`  ${c.yellow(`hint: ${r.hint}`)}`);
    return;
  }
  const parts = [`${count(r.events)} events, ${count(r.lines)} lines verified`];
  if (r.checkpoint) parts.push('checkpoint agrees');
  if (signed) {
    parts.push(
      r.signedThrough === undefined
        ? 'no line is covered by a signature'
        : r.signedThrough >= r.head.seq
          ? 'signed through the last line'
          : `signed through seq ${r.signedThrough} (${r.head.seq - r.signedThrough} line(s) after it unsigned)`,
    );
  }
  parts.push(`head ${r.head.seq}:${r.head.hash}`);
  ctx.print(`${c.green('✓')} ${r.file}: ${parts.join(', ')}`);
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
    await writeFile(publicPath, keys.publicKey, { mode: 0o644, flag: 'w' });
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
