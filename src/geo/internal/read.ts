/**
 * Reading and loading database files for the MaxMind resolver: why a file
 * cannot be read, said in words; any failure to load one as a
 * `GeoadmitError` naming the file.
 */
import { ErrorCode, GeoadmitError } from '../../errors/index.js';
import { NotRegularFileError } from '../../internal/files.js';
import { type LoadedDatabase, loadDatabase, loadDatabaseAsync } from './load.js';
import { errorText } from '../../internal/objects.js';

/** The file's bytes, or `E_DB_NOT_FOUND` saying why not. */
export async function readDatabase(fs: { readFile(path: string): Promise<Buffer> }, file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const why =
      error instanceof NotRegularFileError
        ? `is not a regular file (${error.kind})`
        : code === 'ENOENT'
          ? 'does not exist'
          : code === 'EISDIR'
            ? 'is not a regular file (a directory)'
            : `cannot be read (${code ?? (error as Error)?.message ?? 'unknown error'})`;
    throw new GeoadmitError(ErrorCode.DatabaseNotFound, `Database file ${file} ${why}`, { file, cause: error });
  }
}

/** Any failure to load `file` as a `GeoadmitError` (`E_DB_CORRUPT` unless it already is one). */
export function asGeoadmitError(error: unknown, file: string): GeoadmitError {
  if (error instanceof GeoadmitError) return error;
  return new GeoadmitError(ErrorCode.DatabaseCorrupt, `Database file ${file} could not be loaded: ${errorText(error)}`, {
    file,
    cause: error,
  });
}

/** How a database file is checked and cached when loaded. */
type LoadFileOptions = { verify?: boolean; cacheSize?: number };

const loadOptionsOf = (options: LoadFileOptions): LoadFileOptions => ({
  ...(options.verify === undefined ? {} : { verify: options.verify }),
  ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
});

/** Load and check one database, any failure as a `GeoadmitError` naming the file. */
export function loadFile(buffer: Buffer, file: string, options: LoadFileOptions): LoadedDatabase {
  try {
    return loadDatabase(buffer, file, loadOptionsOf(options));
  } catch (error) {
    throw asGeoadmitError(error, file);
  }
}

/** {@link loadFile} yielding to the event loop between slices of the check (open and reload). */
export async function loadFileAsync(buffer: Buffer, file: string, options: LoadFileOptions): Promise<LoadedDatabase> {
  try {
    return await loadDatabaseAsync(buffer, file, loadOptionsOf(options));
  } catch (error) {
    throw asGeoadmitError(error, file);
  }
}
