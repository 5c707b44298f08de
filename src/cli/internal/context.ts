import { createColors } from 'picocolors';
import { errorText } from '../../internal/objects.js';

/** A writable the CLI prints to (a process stream, or a collector in tests and benchmarks). */
export interface CliOutput {
  // biome-ignore lint/suspicious/noConfusingVoidType: a collector's `write(chunk) { chunks.push(chunk) }` returns void; `undefined` would refuse it.
  write(chunk: string): boolean | void;
  /** True when the stream is a terminal: enables color (stdout) and the progress bar (stderr). */
  isTTY?: boolean;
  /** Present on Node streams: lets long outputs wait for `drain` instead of buffering without bound. */
  once?(event: 'drain', listener: () => void): unknown;
  /** Terminal width, when a terminal. */
  columns?: number;
}

/** The streams the CLI talks to. */
export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  /** Read by `replay -`. */
  stdin: NodeJS.ReadableStream;
  /** Environment for `NO_COLOR` / `FORCE_COLOR`; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Directory relative paths are resolved against; defaults to `process.cwd()`. */
  cwd?: string;
}

/** Exit codes: 0 fine, 1 denied or findings, 2 bad usage or unreadable input. */
export const CliExitCode = {
  Ok: 0,
  Findings: 1,
  Usage: 2,
} as const;
export type CliExitCode = (typeof CliExitCode)[keyof typeof CliExitCode];

/**
 * A failure the CLI reports as one line and exit code 2: bad usage or input
 * it cannot read. Thrown by commands; caught once in `runCli`.
 */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
  /** Extra lines printed after the message (e.g. every validation problem). */
  readonly details: readonly string[];
  /** Structured form of the details, printed under `--json` (e.g. `{ problems: [{ line, message }] }`). */
  readonly data?: Record<string, unknown>;
  constructor(message: string, details: readonly string[] = [], options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = details;
    if (options?.data !== undefined) this.data = options.data;
  }
}

/** Options every command shares. */
export interface CommonOptions {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
}

type Colors = ReturnType<typeof createColors>;

/** What a command needs to talk to the user. */
export class CliContext {
  readonly io: CliIo;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** Colors for stdout; plain functions when stdout is not a terminal. */
  out: Colors;
  /** Colors for stderr. */
  err: Colors;
  debug = false;

  constructor(io: CliIo) {
    this.io = io;
    this.env = io.env ?? process.env;
    this.cwd = io.cwd ?? process.cwd();
    this.out = createColors(this.#colorFor(io.stdout, true));
    this.err = createColors(this.#colorFor(io.stderr, true));
  }

  /** Apply `--no-color` / `--debug` once a command's options are known. */
  configure(options: CommonOptions): void {
    this.debug = options.debug === true;
    const allowed = options.color !== false;
    this.out = createColors(this.#colorFor(this.io.stdout, allowed));
    this.err = createColors(this.#colorFor(this.io.stderr, allowed));
  }

  #colorFor(stream: CliOutput, allowed: boolean): boolean {
    if (!allowed || 'NO_COLOR' in this.env) return false;
    if (this.env['FORCE_COLOR'] !== undefined && this.env['FORCE_COLOR'] !== '0') return true;
    return stream.isTTY === true;
  }

  /** Print a line on stdout. */
  print(line = ''): void {
    this.io.stdout.write(`${line}\n`);
  }

  /** Print a line on stderr. */
  note(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  /** Print a value as pretty JSON on stdout (`--json`). */
  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/** A secret named by `--key-env` (keys never go on the command line, where `ps` shows them). */
export function keyFromEnv(ctx: CliContext, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const key = ctx.env[name];
  if (key === undefined || key === '') throw new CliUsageError(`--key-env: environment variable ${name} is not set`);
  return key;
}

/** Write and, when the stream asks for it, wait until it drained: output stays bounded in memory. */
export function writeBounded(stream: CliOutput, text: string): Promise<void> | undefined {
  const ok = stream.write(text);
  if (ok !== false || stream.once === undefined) return undefined;
  return new Promise((resolve) => stream.once?.('drain', resolve));
}

/** One line for any error: a GeoadmitError's message already says what and where. */
export function describeError(error: unknown): string {
  return errorText(error);
}

/** `1234567` → `1,234,567` (fixed locale so output does not depend on the machine). */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
