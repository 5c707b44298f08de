import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  dts: true,
  sourcemap: true,
  target: 'node20',
  // `import.meta.url` in the CommonJS build is a syntax error at require time; the shim maps it to
  // the file's URL there (and `__filename` in ESM). .ci/pack-check requires every entry to catch this.
  shims: true,
  // iso-3166 ships ESM only; bundling its code tables keeps the CommonJS build loadable everywhere.
  noExternal: ['iso-3166'],
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      testing: 'src/testing/index.ts',
      redis: 'src/redis/index.ts',
      http: 'src/http/index.ts',
      console: 'src/console/index.ts',
      janus: 'src/janus/index.ts',
      livekit: 'src/livekit/index.ts',
      ws: 'src/ws/index.ts',
      vitest: 'src/vitest/index.ts',
    },
    format: ['esm', 'cjs'],
    // Shared chunks for CommonJS too: without them `geoadmit/testing` and `geoadmit/redis` would carry
    // their own copies of the core classes, and `instanceof GeoadmitError` would fail across entries.
    splitting: true,
    clean: true,
  },
  {
    ...shared,
    // The command line: ESM only, one file with its shebang (kept from src/cli/main.ts).
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
  },
]);
