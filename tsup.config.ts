import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // iso-3166 ships ESM only; bundling its code tables keeps the CommonJS build loadable everywhere.
  noExternal: ['iso-3166'],
});
