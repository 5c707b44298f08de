import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/**
 * What a path is, in words, when it is not a regular file: the reason a
 * database or document path is refused. A FIFO would block a read forever and
 * a device such as `/dev/zero` never ends, so neither is ever opened for reading.
 */
export function notRegularKind(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Thrown by {@link readRegularFile} for a path that is not a regular file (`code` `ENOTREG`, `kind` in words). */
export class NotRegularFileError extends Error {
  override readonly name = 'NotRegularFileError';
  readonly code = 'ENOTREG';
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file`);
  }
}

/**
 * Read a whole regular file. The path is stat'ed before anything opens it,
 * and opened non-blocking and checked again through the handle, so a FIFO
 * swapped in between the two cannot block the read. Other failures reject
 * with the file system's own error (`ENOENT`, `EACCES`, ...).
 */
export async function readRegularFile(path: string): Promise<Buffer> {
  const kind = notRegularKind(await stat(path));
  if (kind !== undefined) throw new NotRegularFileError(path, kind);
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const again = notRegularKind(await handle.stat());
    if (again !== undefined) throw new NotRegularFileError(path, again);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
