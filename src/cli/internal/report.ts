import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GeoadmitError } from '../../errors/index.js';
import { buildTransparencyReport, renderReportHtml, renderReportJson, renderReportMarkdown } from '../../report/index.js';
import type { TransparencyReport } from '../../report/index.js';
import { type CliContext, CliExitCode, CliUsageError, keyFromEnv } from './context.js';
import { requireFile } from './files.js';

/** Options of `geoadmit report`. */
export interface ReportOptions {
  format: 'md' | 'json' | 'html';
  from?: string;
  to?: string;
  output?: string;
  keyEnv?: string;
  /** `--json`: the same as `--format json`. */
  json?: boolean;
}

const RENDER: Record<ReportOptions['format'], (report: TransparencyReport) => string> = {
  md: renderReportMarkdown,
  json: renderReportJson,
  html: renderReportHtml,
};

/**
 * `geoadmit report <audit.jsonl...>`: a transparency report from audit logs,
 * to stdout or `-o`. Exit 0, or 1 when a log did not verify (the report then
 * counts only its verified part and says so); 2 when a log cannot be read.
 */
export async function runReport(ctx: CliContext, paths: readonly string[], options: ReportOptions): Promise<number> {
  const files: string[] = [];
  for (const path of paths) files.push((await requireFile(ctx.cwd, path, 'audit log')).file);
  const key = keyFromEnv(ctx, options.keyEnv);
  let report: TransparencyReport;
  try {
    report = await buildTransparencyReport(files, {
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.to === undefined ? {} : { to: options.to }),
      ...(key === undefined ? {} : { key }),
    });
  } catch (error) {
    if (error instanceof GeoadmitError) throw new CliUsageError(error.message, [], { cause: error });
    throw error;
  }
  const text = RENDER[options.json === true ? 'json' : options.format](report);
  if (options.output === undefined) ctx.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  else {
    try {
      await writeFile(resolve(ctx.cwd, options.output), text);
    } catch (error) {
      throw new CliUsageError(`cannot write ${options.output}: ${(error as Error).message}`, [], { cause: error });
    }
    ctx.note(`wrote ${options.output}`);
  }
  const failed = report.sources.filter((s) => s.verified === false);
  for (const s of failed) {
    const where = s.line === undefined ? '' : ` at line ${s.line}`;
    ctx.note(ctx.err.yellow(`warning: ${s.name} did not verify (${s.problem ?? 'failed'}${where}); only its verified part is counted`));
  }
  return failed.length > 0 ? CliExitCode.Findings : CliExitCode.Ok;
}
