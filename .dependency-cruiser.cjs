/**
 * The folder rule (docs/architecture.md): data flows one way — address ->
 * location (geo) -> restrictions -> decision (gate) -> roster -> events —
 * with shared primitives (src/internal/) below every folder. Checked in
 * `npm test` (`npm run depcruise`).
 *
 * - no-folder-cycles: no two concept folders of src/ import each other,
 *   directly or through others (a folder and its own internal/ may).
 * - no-foreign-internal: a folder's internal/ is its own; only src/internal/
 *   is shared.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Concept folders of src/ must not import each other in a cycle: data flows one way.',
      scope: 'folder',
      from: { path: '^src/([^/]+)' },
      to: { circular: true, via: { pathNot: '^src/$1(/|$)' } },
    },
    {
      name: 'no-foreign-internal',
      severity: 'error',
      comment: "A folder's internal/ is private to that folder; shared primitives live in src/internal/.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/internal/', pathNot: ['^src/$1/', '^src/internal/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs'],
    },
  },
};
