/**
 * The `geoadmit` command line, drivable in-process (benchmarks, tests,
 * embedding) through {@link runCli}; `main.ts` is the executable entry.
 */
import { CommanderError } from 'commander';
import { GeoadmitError } from '../errors/index.js';
import { CliContext, CliExitCode, type CliIo, CliUsageError, describeError } from './internal/context.js';
import { buildProgram, commanderExit } from './internal/program.js';

export { CliExitCode, type CliIo } from './internal/context.js';

/**
 * Run the `geoadmit` command line with `argv` (the arguments after the
 * program name) and resolve to its exit code: 0 fine, 1 denied or findings,
 * 2 bad usage or unreadable input. Never rejects and never calls
 * `process.exit`; errors are one line on `io.stderr` (with a stack trace
 * under `--debug`).
 *
 * @param argv e.g. `['lookup', '1.2.4.8', '--json']`
 * @param io streams to use instead of the process's own
 * @example
 * const chunks: string[] = [];
 * const code = await runCli(['lookup', '1.2.4.8', '--json'], {
 *   stdout: { write: (s) => void chunks.push(s) },
 *   stderr: process.stderr,
 *   stdin: process.stdin,
 * });
 */
export async function runCli(argv: readonly string[], io?: Partial<CliIo>): Promise<number> {
  const ctx = new CliContext({
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    stdin: io?.stdin ?? process.stdin,
    ...(io?.env === undefined ? {} : { env: io.env }),
    ...(io?.cwd === undefined ? {} : { cwd: io.cwd }),
  });
  // --debug is read before parsing so even a usage error can show its stack.
  ctx.debug = argv.includes('--debug');
  let code: number = CliExitCode.Ok;
  const program = buildProgram(ctx, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(error);
    if (argv.includes('--json')) {
      // Machine output asked for: the error is JSON too, on stdout where the result would have been.
      ctx.printJson({ error: jsonError(error) });
      return CliExitCode.Usage;
    }
    ctx.note(`geoadmit: ${ctx.err.red(describeError(error))}`);
    if (error instanceof CliUsageError) for (const line of error.details) ctx.note(`  ${line}`);
    else if (error instanceof GeoadmitError && error.issues !== undefined) for (const i of error.issues) ctx.note(`  ${i.path}: ${i.message}`);
    if (ctx.debug && error instanceof Error && error.stack !== undefined) ctx.note(error.stack);
    return CliExitCode.Usage;
  }
}

/** `{ message, code?, details?, ... }` for `--json` errors: the code of a GeoadmitError, a usage error's structured data. */
function jsonError(error: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { message: describeError(error) };
  if (error instanceof GeoadmitError) {
    out['code'] = error.code;
    for (const key of ['path', 'file', 'argument', 'restrictionId', 'issues'] as const) if (error[key] !== undefined) out[key] = error[key];
  } else if (error instanceof CliUsageError) {
    const cause = error.cause;
    out['code'] = cause instanceof GeoadmitError ? cause.code : 'E_USAGE';
    if (error.details.length > 0) out['details'] = error.details;
    if (error.data !== undefined) Object.assign(out, error.data);
  }
  return out;
}
