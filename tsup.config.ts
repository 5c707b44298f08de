import { pathToFileURL } from 'node:url';
import { defineConfig, type Options } from 'tsup';

/**
 * iso-3166's code tables (400 kB of object literals) as `JSON.parse` of a string: the same data,
 * but V8 reads JSON about twice as fast as JavaScript literals, and these tables are most of what
 * importing geoadmit costs beyond its dependencies.
 */
const iso3166AsJson: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'iso-3166-as-json',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]iso-3166[\\/][12]\.js$/ }, async (args) => {
      const tables = (await import(pathToFileURL(args.path).href)) as Record<string, unknown>;
      const contents = Object.entries(tables)
        .map(([name, value]) => `export const ${name} = JSON.parse(${JSON.stringify(JSON.stringify(value))});`)
        .join('\n');
      return { contents, loader: 'js' };
    });
  },
};

/** The library's entries, each a subpath of the package. */
const library = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  redis: 'src/redis/index.ts',
  http: 'src/http/index.ts',
  console: 'src/console/index.ts',
  janus: 'src/janus/index.ts',
  livekit: 'src/livekit/index.ts',
  ws: 'src/ws/index.ts',
  vitest: 'src/vitest/index.ts',
  audit: 'src/audit/index.ts',
  report: 'src/report/index.ts',
  mmdb: 'src/mmdb/index.ts',
  store: 'src/store/index.ts',
};

const shared: Options = {
  sourcemap: true,
  target: 'node20',
  // `import.meta.url` in the CommonJS build is a syntax error at require time; the shim maps it to
  // the file's URL there (and `__filename` in ESM). .ci/pack-check requires every entry to catch this.
  shims: true,
  // iso-3166 ships ESM only; bundling its code tables keeps the CommonJS build loadable everywhere.
  noExternal: ['iso-3166'],
  esbuildPlugins: [iso3166AsJson],
  // Shared chunks: without them `geoadmit/testing` and `geoadmit/redis` would carry their own copies of
  // the core classes, and `instanceof GeoadmitError` would fail across entries.
  splitting: true,
};

export default defineConfig([
  {
    ...shared,
    // The command line is an ESM entry of the same build, so it shares the library's chunks instead of
    // shipping its own copy of them; its commands are separate chunks, loaded when the command runs
    // (`geoadmit --help` loads neither the geo database reader nor the validation library).
    // The shebang of src/cli/main.ts is kept on dist/cli.js.
    entry: { ...library, cli: 'src/cli/main.ts' },
    format: ['esm'],
    dts: { entry: library },
    clean: true,
  },
  {
    ...shared,
    entry: library,
    format: ['cjs'],
    dts: { entry: library },
    clean: false,
  },
]);
