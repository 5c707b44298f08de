import * as nodeFs from 'node:fs';
import type { AuditFs } from '../types.js';

function statOrUndefined(path: string): { size: number; ino: number; dev: number } | undefined {
  const st = nodeFs.statSync(path, { throwIfNoEntry: false });
  return st === undefined ? undefined : { size: st.size, ino: st.ino, dev: st.dev };
}

function readTextOrUndefined(path: string): string | undefined {
  try {
    return nodeFs.readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The real file system behind {@link AuditFs}. */
const nodeAuditFs: AuditFs = {
  openSync: (path, flags) => nodeFs.openSync(path, flags, 0o640),
  writeSync: (fd, data) => nodeFs.writeSync(fd, data),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  fsync: (fd, callback) => nodeFs.fsync(fd, callback),
  closeSync: (fd) => nodeFs.closeSync(fd),
  readSync: (fd, buffer, offset, length, position) => nodeFs.readSync(fd, buffer, offset, length, position),
  fstatSync: (fd) => {
    const st = nodeFs.fstatSync(fd);
    return { size: st.size, ino: st.ino, dev: st.dev };
  },
  statSync: statOrUndefined,
  renameSync: (from, to) => nodeFs.renameSync(from, to),
  readTextSync: readTextOrUndefined,
  readdirSync: (dir) => nodeFs.readdirSync(dir),
};

/** `node:fs` with the caller's overrides. */
export function resolveFs(overrides: Partial<AuditFs> | undefined): AuditFs {
  return overrides === undefined ? nodeAuditFs : { ...nodeAuditFs, ...overrides };
}
