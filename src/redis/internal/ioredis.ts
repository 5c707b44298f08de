import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import { ErrorCode, GeoadmitError } from '../../errors/index.js';

/** How `ioredis` is loaded; a parameter so a test can stand in for a machine without it. */
type ModuleLoader = (id: string) => unknown;

let loaded: typeof IORedis | undefined;

/**
 * `ioredis`, loaded on first use rather than when `geoadmit/redis` is
 * imported: it is an optional peer dependency, and an application that never
 * creates a Redis store must not need it. Without it, the first call throws
 * `E_MISSING_DEPENDENCY` saying what to install, instead of a module
 * resolution stack trace. (`import.meta.url` is shimmed in the CommonJS build.)
 */
export function ioredis(load: ModuleLoader = createRequire(import.meta.url)): typeof IORedis {
  if (loaded !== undefined) return loaded;
  try {
    const module = load('ioredis') as typeof IORedis;
    loaded = module;
    return module;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new GeoadmitError(
        ErrorCode.MissingDependency,
        'geoadmit/redis needs the ioredis package, which is not installed: run `npm install ioredis` (version 5 or 6)',
        { argument: 'ioredis', cause: error },
      );
    }
    throw error;
  }
}
