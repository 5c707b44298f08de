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

/** `geoadmit audit verify <file...>`: exit 0 when every file verifies, 1 when any does not. */
export async function runAuditVerify(ctx: CliContext, paths: readonly string[], options: AuditVerifyOptions): Promise<number> {
  const key = keyFromEnv(ctx, options.keyEnv);
  const results: (AuditVerification & { file: string })[] = [];
  for (const path of paths) {
    const { file } = await requireFile(ctx.cwd, path, 'audit log');
    const verification = await verifyAuditLog(file, {
      ...(key === undefined ? {} : { key }),
      ...(options.checkpoint === false ? { checkpoint: false as const } : {}),
    });
    results.push({ file: path, ...verification });
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
      }
    }
  }
  return ok ? CliExitCode.Ok : CliExitCode.Findings;
}
