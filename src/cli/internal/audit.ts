import { verifyAuditLog } from '../../audit/index.js';
import type { AuditVerification } from '../../audit/index.js';
import { type CliContext, CliExitCode, count, keyFromEnv } from './context.js';
import { requireFile } from './files.js';

/** Options of `geoadmit audit verify`. */
export interface AuditVerifyOptions {
  /** Environment variable holding the HMAC key the sink was given (never a command-line argument: those show in `ps`). */
  keyEnv?: string;
  checkpoint?: boolean;
  json?: boolean;
}

const KEY_HINT = 'was this log written with a key? pass --key-env <VAR> naming the environment variable that holds it';

/** `geoadmit audit verify <file...>`: exit 0 when every file verifies, 1 when any does not. */
export async function runAuditVerify(ctx: CliContext, paths: readonly string[], options: AuditVerifyOptions): Promise<number> {
  const key = keyFromEnv(ctx, options.keyEnv);
  const results: (AuditVerification & { file: string; hint?: string })[] = [];
  for (const path of paths) {
    const { file } = await requireFile(ctx.cwd, path, 'audit log');
    const verification = await verifyAuditLog(file, {
      ...(key === undefined ? {} : { key }),
      ...(options.checkpoint === false ? { checkpoint: false as const } : {}),
    });
    const result: AuditVerification & { file: string; hint?: string } = { file: path, ...verification };
    // A keyed log read without its key fails at its very first line: say what is probably missing.
    if (key === undefined && !verification.ok && verification.line === 1) result.hint = KEY_HINT;
    results.push(result);
  }
  const ok = results.every((r) => r.ok);
  if (options.json === true) ctx.printJson({ ok, files: results });
  else {
    const c = ctx.out;
    for (const r of results) {
      if (r.ok) {
        ctx.print(`${c.green('✓')} ${r.file}: ${count(r.events)} events, ${count(r.lines)} lines verified${r.checkpoint ? ', checkpoint agrees' : ''}`);
      } else {
        const where = r.line === undefined ? '' : ` at line ${r.line}`;
        ctx.print(`${c.red('✗')} ${r.file}: ${r.problem ?? 'failed'}${where}${r.message === undefined ? '' : `: ${r.message}`}`);
        if (r.hint !== undefined) ctx.print(`  ${c.yellow(`hint: ${r.hint}`)}`);
      }
    }
  }
  return ok ? CliExitCode.Ok : CliExitCode.Findings;
}
