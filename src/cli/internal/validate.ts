import { validateRestrictions } from '../../restrictions/index.js';
import { type CliContext, CliExitCode, count } from './context.js';
import { findDefaultDatabase, openDatabases } from './db.js';
import { formatProblem, readJsonDocument } from './files.js';
import { capabilityWarnings, inactiveNotes, parseAt } from './gate-setup.js';

/** Options of `geoadmit validate`. */
interface ValidateOptions {
  db: string[];
  /** Instant the windows are described at (default now). */
  at?: string;
  json?: boolean;
}

/**
 * `geoadmit validate <file>`: every problem with its JSON path, containment
 * refusals included. Exit 1 when there is any. With a database (`--db`, or
 * the default one when installed) it also warns about restrictions that
 * database cannot answer; warnings do not change the exit code.
 */
export async function runValidate(ctx: CliContext, path: string, options: ValidateOptions): Promise<number> {
  const doc = await readJsonDocument(ctx.cwd, path, 'restrictions file');
  const { valid, problems } = validateRestrictions(doc);
  let warnings: string[] = [];
  // Capability warnings need data; without --db they are a bonus, never a reason to fail.
  if (options.db.length > 0 || findDefaultDatabase(ctx.cwd) !== undefined) {
    const opened = await openDatabases(ctx.cwd, options.db);
    warnings = capabilityWarnings(opened.resolver, valid);
    await opened.resolver.close();
  }
  const total = Array.isArray(doc) ? doc.length : 1;
  const at = parseAt(options.at);
  const notes = inactiveNotes(valid, at);
  if (options.json === true) {
    ctx.printJson({
      file: path,
      restrictions: total,
      valid: valid.length,
      problems,
      warnings,
      at: new Date(at).toISOString(),
      notes,
    });
  } else {
    const c = ctx.out;
    for (const p of problems) ctx.print(`${c.red('✗')} ${formatProblem(p)}`);
    for (const w of warnings) ctx.print(`${c.yellow('!')} warning: ${w}`);
    for (const n of notes) ctx.print(`${c.yellow('!')} note: ${n}`);
    const verdict = problems.length === 0 ? c.green('valid') : c.red(`${count(problems.length)} problem${problems.length === 1 ? '' : 's'}`);
    ctx.print(`${path}: ${count(total)} restriction${total === 1 ? '' : 's'}, ${count(valid.length)} valid; ${verdict}`);
  }
  return problems.length > 0 ? CliExitCode.Findings : CliExitCode.Ok;
}
