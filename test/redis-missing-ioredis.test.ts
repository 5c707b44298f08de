import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisRestrictionStore } from 'geoadmit/redis';
import { makeTempDir } from './helpers/temp-dir.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Outside the repository: no node_modules above it, so `ioredis` cannot be found, as on a machine without it.
const { dir: tmp, cleanup } = makeTempDir('geoadmit-no-ioredis-');
afterAll(cleanup);

describe('geoadmit/redis without ioredis installed', () => {
  it.each(['cjs', 'esm'] as const)('the %s entry loads, and creating a store throws E_MISSING_DEPENDENCY naming the package', (format) => {
    const outfile = join(tmp, `redis.${format === 'cjs' ? 'cjs' : 'mjs'}`);
    // Everything bundled except ioredis, which stays a runtime lookup exactly as in the published package.
    buildSync({
      entryPoints: [join(ROOT, 'src/redis/index.ts')],
      bundle: true,
      platform: 'node',
      format,
      target: 'node20',
      external: ['ioredis'],
      outfile,
      logLevel: 'error',
      ...(format === 'cjs'
        ? { define: { 'import.meta.url': '__importMetaUrl' }, banner: { js: 'const __importMetaUrl = require("url").pathToFileURL(__filename).href;' } }
        : {}),
    });
    const script = join(tmp, `check-${format}.mjs`);
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
const mod = ${format === 'cjs' ? "createRequire(import.meta.url)('./redis.cjs')" : "await import('./redis.mjs')"};
try {
  mod.createRedisRestrictionStore({ url: 'redis://127.0.0.1:1' });
  console.log(JSON.stringify({ threw: false }));
} catch (e) {
  console.log(JSON.stringify({ threw: true, name: e.name, code: e.code, message: e.message, brand: e[Symbol.for('geoadmit.error')] === true }));
}`,
    );
    const out = JSON.parse(execFileSync(process.execPath, [script], { encoding: 'utf8', cwd: tmp }));
    expect(out).toMatchObject({ threw: true, name: 'GeoadmitError', code: 'E_MISSING_DEPENDENCY', brand: true });
    expect(out.message).toMatch(/npm install ioredis/);
    expect(out.message).not.toMatch(/Cannot find module/);
  });
});

describe('createRedisRestrictionStore options', () => {
  it('refuses an unknown key with E_INVALID_CONFIG naming the closest known one, before connecting', () => {
    expect(() => createRedisRestrictionStore({ url: 'redis://127.0.0.1:1', prefx: 'x:' } as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringMatching(/"prefx".*"prefix"/) }) as Error,
    );
    expect(() => createRedisRestrictionStore(null as never)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }) as Error);
  });
});
