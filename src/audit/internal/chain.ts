import { basename, dirname } from 'node:path';
import type { AuditHead } from '../types.js';

/** What linking needs of one file: where it begins, what it continues, where it ends. */
interface ChainFile {
  /** The file as given (its directory decides which files can be its neighbours). */
  path: string;
  /** The file's `audit.start` link to the file before it, when it has one. */
  previous?: { file: string; seq: number; hash: string } | undefined;
  /** The file's last line. */
  head: AuditHead;
}

/** The result of linking a set of files. */
interface ChainLinks {
  /** Indices of the files in chain order: each chain's parts oldest first, chains in the order given. */
  order: number[];
  /** Index → the gap found at that file (a missing, misplaced or foreign file before it). */
  gaps: Map<number, string>;
  /** Index → the name of the file it continues, when that file is not in the set and nothing before it is (the set starts mid-chain). */
  continues: Map<number, string>;
  /** Index → whether the file continues the one before it in `order` (same chain). */
  linked: Set<number>;
}

/** `audit.jsonl.12` → `audit.jsonl`: the name rotated parts share. */
function family(name: string): string {
  return name.replace(/\.[1-9][0-9]{0,8}$/, '');
}

/**
 * Link rotated files into chains. A rotated file's first record names the
 * file before it (in the same directory) and that file's last line; a set of
 * files is one chain only when every link holds. A file whose predecessor
 * is missing while an earlier part of the same log is in the set, a file
 * linked to a file that ends elsewhere (out of order, or from another
 * chain), or two files continuing one file: each is a gap, named. Files of
 * different logs (several nodes) are separate chains, in the order given.
 */
export function linkChain(files: readonly ChainFile[]): ChainLinks {
  const byPath = new Map<string, number>();
  for (const [i, f] of files.entries()) byPath.set(`${dirname(f.path)}\u0000${basename(f.path)}`, i);
  const next = new Map<number, number>();
  const gaps = new Map<number, string>();
  const continues = new Map<number, string>();
  files.forEach((f, i) => {
    const p = f.previous;
    if (p === undefined) return;
    const dir = dirname(f.path);
    const j = byPath.get(`${dir}\u0000${p.file}`);
    const name = basename(f.path);
    // A file naming itself continues an earlier file of that name, removed or replaced while the log was written.
    if (j !== undefined && j !== i) {
      const before = files[j] as ChainFile;
      if (before.head.seq !== p.seq || before.head.hash !== p.hash) {
        gaps.set(
          i,
          `${name} continues ${p.file} at seq ${p.seq}, but the ${p.file} given ends at seq ${before.head.seq} with another hash: the files are out of order, or from another chain`,
        );
        return;
      }
      if (next.has(j)) {
        gaps.set(i, `${name} and ${basename((files[next.get(j) as number] as ChainFile).path)} both continue ${p.file}: one of them is from another chain`);
        return;
      }
      next.set(j, i);
      return;
    }
    // Not given: a gap when an earlier part of the same log is in the set, else the set starts here.
    const earlier = files.some((g, k) => k !== i && dirname(g.path) === dir && family(basename(g.path)) === family(p.file) && g.head.seq < p.seq);
    if (earlier) {
      const what =
        j === i
          ? `the earlier ${p.file} it continues (up to seq ${p.seq}) is gone, or the files were renamed out of order`
          : `${p.file} is missing: ${name} continues it (from seq ${p.seq}), but it is not among the logs given`;
      gaps.set(i, what);
    } else continues.set(i, p.file);
  });
  const hasPrevious = new Set(next.values());
  const order: number[] = [];
  const linked = new Set<number>();
  const seen = new Set<number>();
  files.forEach((_, i) => {
    if (hasPrevious.has(i) || seen.has(i)) return;
    for (let k: number | undefined = i; k !== undefined && !seen.has(k); k = next.get(k)) {
      if (k !== i) linked.add(k);
      seen.add(k);
      order.push(k);
    }
  });
  // A cycle (files linking round): none starts a chain; keep them, in the order given.
  files.forEach((_, i) => {
    if (seen.has(i)) return;
    gaps.set(i, gaps.get(i) ?? `${basename(files[i]?.path ?? '')} is part of files that link round in a circle: out of order`);
    order.push(i);
  });
  return { order, gaps, continues, linked };
}
