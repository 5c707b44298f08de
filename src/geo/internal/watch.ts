/**
 * Watching database files for replacement: the directories holding them are
 * watched (a file watch follows the old inode and misses an atomic
 * rename-replace), and each file's changes are debounced into one reload.
 */
import { watch as fsWatch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';

/** Calls `changed(file)` once a watched file has stopped changing for `debounceMs`. */
export class DatabaseWatcher {
  readonly #watchers: FSWatcher[] = [];
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #debounceMs: number;
  readonly #changed: (file: string) => void;
  readonly #failed: (where: string, error: unknown) => void;
  #closed = false;

  constructor(debounceMs: number, changed: (file: string) => void, failed: (where: string, error: unknown) => void) {
    this.#debounceMs = debounceMs;
    this.#changed = changed;
    this.#failed = failed;
  }

  /** Start watching `paths`; a directory that cannot be watched is reported through `failed`. */
  watch(paths: readonly string[]): void {
    const byDir = new Map<string, Map<string, string>>();
    for (const file of paths) {
      const dir = dirname(resolvePath(file));
      let names = byDir.get(dir);
      if (names === undefined) byDir.set(dir, (names = new Map()));
      names.set(basename(file), file);
    }
    for (const [dir, names] of byDir) {
      let watcher: FSWatcher;
      try {
        watcher = fsWatch(dir, { persistent: false }, (_event, filename) => {
          const name = filename === null ? null : String(filename);
          // No name, or Kubernetes' atomic-writer swap of the `..data` symlink (the watched
          // name itself never changes there): re-check every file watched in this directory.
          if (name === null || name.startsWith('..')) for (const file of names.values()) this.#schedule(file);
          else {
            const file = names.get(name);
            if (file !== undefined) this.#schedule(file);
          }
        });
      } catch (error) {
        this.#failed(dir, error);
        continue;
      }
      watcher.on('error', (error) => this.#failed(dir, error));
      this.#watchers.push(watcher);
    }
  }

  /** Stop watching and cancel pending changes. */
  close(): void {
    this.#closed = true;
    for (const w of this.#watchers.splice(0)) w.close();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #schedule(file: string): void {
    if (this.#closed) return;
    const pending = this.#timers.get(file);
    if (pending !== undefined) clearTimeout(pending);
    const timer = setTimeout(() => {
      this.#timers.delete(file);
      this.#changed(file);
    }, this.#debounceMs);
    timer.unref();
    this.#timers.set(file, timer);
  }
}
