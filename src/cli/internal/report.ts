import { GeoadmitError } from '../../errors/index.js';
import { INSTANT_RULE, parseInstant } from '../../internal/time.js';
import { buildTransparencyReport, renderReportHtml, renderReportJson, renderReportMarkdown } from '../../report/index.js';
import type { ReportLog, TransparencyReport } from '../../report/index.js';
import { keyForLog, readKeyArgs } from './audit.js';
import { type CliContext, CliExitCode, CliUsageError, keyFromEnv } from './context.js';
import { outputPath, requireFile, writeOutputFile } from './files.js';
import { byteProgress } from './progress.js';

/** Options of `geoadmit report`. */
interface ReportOptions {
  format: 'md' | 'json' | 'html';
  from?: string;
  to?: string;
  output?: string;
  keyEnv?: string;
  /** `--public-key FILE` or `LOG=FILE` (repeatable): the keys the logs' signatures are checked with. */
  publicKey?: string[];
  /** `--name LOG=NAME` (repeatable): what the report calls a log (default: its file name). */
  name?: string[];
  /** `--no-progress`: no progress bar even on a terminal. */
  progress?: boolean;
  /** `--json`: the same as `--format json`. */
  json?: boolean;
  /** Accepted and ignored (every command takes `--db`); never written over. */
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
  const names = new Map<string, string>();
  for (const value of options.name ?? []) {
    const at = value.lastIndexOf('=');
    const log = at > 0 ? value.slice(0, at) : '';
    const name = value.slice(at + 1).trim();
    if (!paths.includes(log) || name === '') throw new CliUsageError(`--name must be LOG=NAME with LOG one of the logs given, got ${JSON.stringify(value)}`);
    names.set(log, name);
  }
  const keys = await readKeyArgs(ctx, options.publicKey ?? [], paths);
  const logs: ReportLog[] = [];
  for (const [i, path] of paths.entries()) {
    const file = files[i] as string;
    const key = await keyForLog(keys, path, file);
    const log: ReportLog = { path: file };
    const name = names.get(path);
    if (name !== undefined) log.name = name;
    if (key !== undefined) {
      log.publicKey = key.pem;
      log.publicKeyFile = key.file;
    }
    logs.push(log);
  }
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
  let bar: ReturnType<typeof byteProgress>;
  try {
    report = await buildTransparencyReport(logs, {
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.to === undefined ? {} : { to: options.to }),
      ...(key === undefined ? {} : { key }),
      onProgress: (read, total) => {
        bar ??= byteProgress(ctx, 'report', total, options.progress !== false);
        bar?.update(read);
      },
    });
  } catch (error) {
    if (error instanceof GeoadmitError) throw new CliUsageError(error.message, [], { cause: error });
    throw error;
  } finally {
    bar?.stop();
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
    const what = s.problem === 'gap' ? `${s.message ?? 'a file of the chain is missing'}` : `${s.problem ?? 'failed'}${where}`;
    ctx.note(ctx.err.yellow(`warning: ${s.name} did not verify (${what}); only its verified part is counted`));
  }
  for (const s of report.sources) {
    if (s.signatures === 'unchecked') {
      ctx.note(ctx.err.yellow(`warning: ${s.name} is signed but its signatures were not checked (no --public-key): the report says "not checked"`));
    }
    if (s.unsignedTail !== undefined && s.unsignedTail.events > 0) {
      ctx.note(
        ctx.err.yellow(
          `warning: ${s.name}: ${s.unsignedTail.events} event(s) after the last signature are not signed; the report shows them apart and does not count them`,
        ),
      );
    }
  }
  return failed.length > 0 ? CliExitCode.Findings : CliExitCode.Ok;
}
