import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, GeoadmitError, isGeoadmitError } from 'geoadmit';
import { makeTempDir } from './helpers/temp-dir.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { dir: tmp, cleanup } = makeTempDir('geoadmit-brand-');
afterAll(cleanup);

describe('isGeoadmitError recognises errors from any copy of the package', () => {
  it('an error built by a second instance of the module is recognised, by isGeoadmitError and by instanceof', async () => {
    vi.resetModules();
    // @ts-expect-error -- the query makes Vite load a second, independent instance of the module
    const second = (await import('../src/errors/index.js?second-copy')) as typeof import('../src/errors/index.js');
    expect(second.GeoadmitError).not.toBe(GeoadmitError);
    const foreign = new second.GeoadmitError('E_INVALID_RESTRICTION', 'from the other copy', { path: '$.regions' });
    expect(isGeoadmitError(foreign)).toBe(true);
    expect(isGeoadmitError(foreign, 'E_INVALID_RESTRICTION')).toBe(true);
    expect(isGeoadmitError(foreign, 'E_INVALID_JOIN')).toBe(false);
    expect(foreign instanceof GeoadmitError).toBe(true);
    expect(second.isGeoadmitError(new GeoadmitError(ErrorCode.Closed, 'here'))).toBe(true);
  });

  it('the brand is Symbol.for("geoadmit.error"), non-enumerable: invisible to JSON, spread and Object.keys', () => {
    const error = new GeoadmitError(ErrorCode.DatabaseCorrupt, 'x', { file: 'a.mmdb' });
    const brand = Symbol.for('geoadmit.error');
    expect((error as unknown as Record<symbol, unknown>)[brand]).toBe(true);
    expect(Object.getOwnPropertyDescriptor(error, brand)?.enumerable).toBe(false);
    expect(Object.keys(error)).not.toContain(brand);
    expect(Object.getOwnPropertySymbols({ ...error })).toEqual([]);
  });

  it('look-alikes are not GeoadmitErrors; hostile values never throw', () => {
    const lookAlike = Object.assign(new Error('x'), { name: 'GeoadmitError', code: 'E_INVALID_JOIN' });
    expect(isGeoadmitError(lookAlike)).toBe(false);
    expect(lookAlike instanceof GeoadmitError).toBe(false);
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
        getPrototypeOf: () => {
          throw new Error('trap');
        },
      },
    );
    expect(isGeoadmitError(hostile)).toBe(false);
    for (const v of [null, undefined, 0, 'E_INVALID_JOIN', {}]) expect(isGeoadmitError(v)).toBe(false);
    // Other Error classes keep ordinary instanceof.
    expect(new TypeError('x') instanceof GeoadmitError).toBe(false);
  });

  it('an error thrown by a CommonJS build is recognised by an ESM build of the package, in one process', () => {
    for (const format of ['cjs', 'esm'] as const) {
      buildSync({
        entryPoints: [join(ROOT, 'src/errors/index.ts')],
        bundle: true,
        platform: 'node',
        format,
        target: 'node20',
        outfile: join(tmp, `errors.${format === 'cjs' ? 'cjs' : 'mjs'}`),
        logLevel: 'error',
      });
    }
    const script = join(tmp, 'check.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('./errors.cjs');
const esm = await import('./errors.mjs');
let thrown;
try { throw new cjs.GeoadmitError('E_INVALID_RESTRICTION', 'refused', { path: '$.regions[0]' }); } catch (e) { thrown = e; }
console.log(JSON.stringify({
  distinct: cjs.GeoadmitError !== esm.GeoadmitError,
  esmSees: esm.isGeoadmitError(thrown, 'E_INVALID_RESTRICTION'),
  esmInstanceof: thrown instanceof esm.GeoadmitError,
  cjsSeesEsm: cjs.isGeoadmitError(new esm.GeoadmitError('E_CLOSED', 'x')),
}));`,
    );
    const out = JSON.parse(execFileSync(process.execPath, [script], { encoding: 'utf8' }));
    expect(out).toEqual({ distinct: true, esmSees: true, esmInstanceof: true, cjsSeesEsm: true });
  });
});
