import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { notRegularKind } from '../../internal/files.js';
import { validateRestrictions } from '../../restrictions/index.js';
import type { NormalizedRestriction, RestrictionProblem } from '../../restrictions/index.js';
import { CliUsageError } from './context.js';
import { errorText } from '../../internal/objects.js';

/** Largest document the CLI reads whole (restrictions files, CSV inputs). Joins logs are streamed instead. */
const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

/** Why a path cannot be read, in words. */
function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? errorText(error);
}

/**
 * Check that `path` names a readable regular file before anything opens it:
 * a directory, a FIFO or a device would otherwise hang or fail obscurely.
 * Returns the absolute path and the file's size.
 */
export async function requireFile(cwd: string, path: string, what: string): Promise<{ file: string; size: number }> {
  const file = resolve(cwd, path);
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    throw new CliUsageError(`cannot read ${what} ${path}: ${fsReason(error)}`, [], { cause: error });
  }
  const kind = notRegularKind(info);
  if (kind !== undefined) throw new CliUsageError(`cannot read ${what} ${path}: is ${kind}, not a regular file`);
  return { file, size: info.size };
}

/**
 * Read a whole text document: refuses files over {@link MAX_DOCUMENT_BYTES},
 * empty files and binary content (NUL bytes), and drops a UTF-8 byte-order mark.
 */
export async function readTextDocument(cwd: string, path: string, what: string): Promise<string> {
  const { file, size } = await requireFile(cwd, path, what);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new CliUsageError(`cannot read ${what} ${path}: ${size} bytes is more than the ${MAX_DOCUMENT_BYTES}-byte limit`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new CliUsageError(`cannot read ${what} ${path}: ${fsReason(error)}`, [], { cause: error });
  }
  if (bytes.includes(0)) throw new CliUsageError(`${what} ${path} is not a text file (it contains NUL bytes)`);
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim().length === 0) throw new CliUsageError(`${what} ${path} is empty`);
  return text;
}

/** Read and parse a JSON document, with the parser's complaint on one line. */
export async function readJsonDocument(cwd: string, path: string, what: string): Promise<unknown> {
  const text = await readTextDocument(cwd, path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliUsageError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** `$[1].regions[0]: unknown region code "XX" [E_INVALID_RESTRICTION] (id "req-2")` */
export function formatProblem(p: RestrictionProblem): string {
  const id = p.id === undefined ? '' : ` (id ${JSON.stringify(p.id)})`;
  return `${p.path}: ${p.message} [${p.code}]${id}`;
}

/**
 * Load a restrictions file (a JSON array, or a single document) for `check`
 * and `replay`. Any problem refuses the whole file (exit 2) with every
 * problem listed: a decision from half a restrictions file would mislead.
 */
export async function loadRestrictions(cwd: string, path: string): Promise<NormalizedRestriction[]> {
  const doc = await readJsonDocument(cwd, path, 'restrictions file');
  const { valid, problems } = validateRestrictions(doc);
  if (problems.length > 0) {
    throw new CliUsageError(
      `restrictions file ${path} has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was evaluated (run \`geoadmit validate ${path}\`)`,
      problems.map(formatProblem),
    );
  }
  return valid;
}

/** One line of a streamed file. */
interface StreamedLine {
  /** 1-based line number. */
  n: number;
  /** The line without its line break; `undefined` when it was longer than the limit (its content is dropped). */
  text: string | undefined;
}

/**
 * Split a byte stream into lines holding at most `maxLineBytes` of any one
 * line in memory, so a hostile file without line breaks cannot exhaust it
 * (`readline` buffers a line of any length). `onBytes` reports progress.
 */
export async function* streamLines(
  input: AsyncIterable<Buffer | string>,
  maxLineBytes: number,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<StreamedLine> {
  let n = 0;
  let parts: Buffer[] = [];
  let held = 0;
  let tooLong = false;
  const finish = (last: Buffer): StreamedLine => {
    n++;
    let text: string | undefined;
    if (!tooLong) {
      const bytes = parts.length === 0 ? last : Buffer.concat([...parts, last]);
      text = bytes.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
    }
    parts = [];
    held = 0;
    tooLong = false;
    return { n, text };
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    onBytes?.(chunk.length);
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(0x0a, start)) !== -1) {
      const piece = chunk.subarray(start, nl);
      if (held + piece.length > maxLineBytes) tooLong = true;
      yield finish(piece);
      start = nl + 1;
    }
    if (start < chunk.length && !tooLong) {
      const rest = chunk.subarray(start);
      if (held + rest.length > maxLineBytes) {
        tooLong = true;
        parts = [];
        held = 0;
      } else {
        // Copy: the stream may reuse its chunk buffers.
        parts.push(Buffer.from(rest));
        held += rest.length;
      }
    }
  }
  if (held > 0 || tooLong) yield finish(Buffer.alloc(0));
}

/** Open a file (or `-` for stdin) as a byte stream, after checking it is a regular file. */
export async function openInput(
  cwd: string,
  path: string,
  stdin: NodeJS.ReadableStream,
  what: string,
): Promise<{ stream: AsyncIterable<Buffer | string>; size: number | undefined; name: string }> {
  if (path === '-') return { stream: stdin as AsyncIterable<Buffer | string>, size: undefined, name: 'stdin' };
  const { file, size } = await requireFile(cwd, path, what);
  return { stream: createReadStream(file, { highWaterMark: 1 << 16 }), size, name: path };
}

/** Device and inode of an existing path (symlinks followed), or undefined when it does not exist. */
async function identity(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Where an output goes, after checking it is none of the command's inputs:
 * the same file by path, by symlink or by hard link (device and inode are
 * compared), so `report a.jsonl -o a.jsonl` cannot replace the log it reads.
 * Refuses with exit 2 before anything is written. Returns the absolute path
 * to write (a symlinked output is written through to its target).
 *
 * @param inputs every file the command reads (paths as given; `-` is skipped)
 */
export async function outputPath(cwd: string, output: string, inputs: readonly string[], what: string): Promise<string> {
  const target = resolve(cwd, output);
  const id = await identity(target);
  for (const input of inputs) {
    if (input === '-') continue;
    const path = resolve(cwd, input);
    // By name even when it does not exist yet (a log's checkpoint the next run would read), else by device and inode.
    if (path === target || (id !== undefined && (await identity(path)) === id)) {
      throw new CliUsageError(`${what} ${output} is the input ${input} (the same file); refusing to write over it`);
    }
  }
  return realpath(target).catch(() => target);
}

/** True when `target` exists and is not a regular file (a device or FIFO the user means to write to). */
async function isSpecialFile(target: string): Promise<boolean> {
  try {
    const info = await stat(target);
    return !info.isFile() && !info.isDirectory();
  } catch {
    return false;
  }
}

/** A temporary name beside `target`: same directory, so the final rename is atomic. */
function temporaryBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Write a whole output file atomically: to a temporary file in the same
 * directory, then renamed into place, so a reader never sees half of it and a
 * failure leaves any previous file untouched.
 */
export async function writeOutputFile(target: string, data: string | Buffer): Promise<void> {
  if (await isSpecialFile(target)) {
    // `/dev/stdout`, `/dev/null`, a FIFO: nothing to replace atomically, so written as is.
    try {
      await writeFile(target, data);
      return;
    } catch (error) {
      throw new CliUsageError(`cannot write ${target}: ${fsReason(error)}`, [], { cause: error });
    }
  }
  const temporary = temporaryBeside(target);
  try {
    await writeFile(temporary, data, { flag: 'wx' });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new CliUsageError(`cannot write ${target}: ${fsReason(error)}`, [], { cause: error });
  }
}

/** A streamed output file that appears under its name only when {@link AtomicOutput.commit} is called. */
export interface AtomicOutput {
  readonly stream: WriteStream;
  /** Finish writing and rename the temporary file into place. */
  commit(): Promise<void>;
  /** Drop the temporary file (after a failure); the target is untouched. */
  abort(): Promise<void>;
}

/** Open a streamed output (e.g. `replay --decisions`) written beside `target` and renamed into place at the end. */
export async function openAtomicOutput(target: string): Promise<AtomicOutput> {
  // `/dev/null`, `/dev/stdout`, a FIFO: streamed to directly (there is no file to replace).
  const direct = await isSpecialFile(target);
  const temporary = direct ? target : temporaryBeside(target);
  const stream = createWriteStream(temporary, { flags: direct ? 'w' : 'wx' });
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('close', resolve);
    stream.once('error', reject);
  });
  finished.catch(() => undefined);
  return {
    stream,
    async commit() {
      stream.end();
      try {
        await finished;
        if (!direct) await rename(temporary, target);
      } catch (error) {
        if (!direct) await rm(temporary, { force: true }).catch(() => undefined);
        throw new CliUsageError(`cannot write ${target}: ${fsReason(error)}`, [], { cause: error });
      }
    },
    async abort() {
      stream.destroy();
      await finished.catch(() => undefined);
      if (!direct) await rm(temporary, { force: true }).catch(() => undefined);
    },
  };
}
