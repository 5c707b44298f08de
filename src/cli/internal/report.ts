import { GeoadmitError } from '../../errors/index.js';
import { INSTANT_RULE, parseInstant } from '../../internal/time.js';
import { buildTransparencyReport, renderReportHtml, renderReportJson, renderReportMarkdown } from '../../report/index.js';
import type { TransparencyReport } from '../../report/index.js';
import { type CliContext, CliExitCode, CliUsageError, keyFromEnv } from './context.js';
import { outputPath, requireFile, writeOutputFile } from './files.js';

/** Options of `geoadmit report`. */
export interface ReportOptions {
  format: 'md' | 'json' | 'html';
  from?: string;
  to?: string;
  output?: string;
  keyEnv?: string;
  /** `--json`: the same as `--format json`. */
  json?: boolean;
  /** Accepted and ignored (SPEC 9); never written over. */
  db?: string[];
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
  // Checked before any work: -o must not be a log, or the checkpoint beside one, that this report reads.
  const inputs = [...paths, ...paths.map((p) => `${p}.checkpoint`), ...(options.db ?? [])];
  const output = options.output === undefined ? undefined : await outputPath(ctx.cwd, options.output, inputs, 'output');
  for (const [flag, value] of [
    ['--from', options.from],
    ['--to', options.to],
  ] as const) {
    if (value !== undefined && parseInstant(value) === undefined) throw new CliUsageError(`${flag}: ${JSON.stringify(value)} is not ${INSTANT_RULE}`);
  }
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
  if (output === undefined) ctx.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  else {
    await writeOutputFile(output, text);
    ctx.note(`wrote ${options.output}`);
  }
  const failed = report.sources.filter((s) => s.verified === false);
  for (const s of failed) {
    const where = s.line === undefined ? '' : ` at line ${s.line}`;
    ctx.note(ctx.err.yellow(`warning: ${s.name} did not verify (${s.problem ?? 'failed'}${where}); only its verified part is counted`));
  }
  return failed.length > 0 ? CliExitCode.Findings : CliExitCode.Ok;
}
