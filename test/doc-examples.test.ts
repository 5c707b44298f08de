/**
 * Every `@example` in a JSDoc comment under src/ compiles. Each example becomes a module of its own
 * (top-level await allowed) type-checked against the sources with the project's compiler options.
 * An example may leave out its imports: a name it uses that an entry exports is imported from that
 * entry (the folder's own entry first, then `geoadmit`), and a few placeholders every example may
 * take as given (`gate`, `geo`, `doc`, `req`, ...) are declared with their real types below.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { createProgram, entries, root, typeSurface } from '../scripts/api-surface.mjs';

/** Placeholders an example may use without declaring them: what they stand for, as a type. */
const PLACEHOLDERS: Record<string, string> = {
  gate: "import('geoadmit').Gate",
  geo: "import('geoadmit').GeoResolver",
  resolver: "import('geoadmit').MaxMindResolver",
  store: "import('geoadmit').RestrictionStore",
  doc: 'unknown',
  restriction: "import('geoadmit').Restriction",
  join: "import('geoadmit').Join",
  decision: "import('geoadmit').Decision",
  text: 'string',
  csv: 'string',
  path: 'string',
  // Framework objects (express, fastify, Bun, ...): the example only alludes to them.
  req: 'any',
  res: 'any',
  server: 'any',
  app: 'any',
  request: 'Request',
  meetingId: 'string',
  participantId: 'string',
  apiKey: 'string',
  apiSecret: 'string',
  fresher: 'string[]',
  mintToken: '(userId: string) => string',
  r: "import('geoadmit').NormalizedRestriction",
  takedownOfCN: "import('geoadmit').Restriction",
  anotherDemand: "import('geoadmit').Restriction",
  auditLog: '{ write(event: unknown): void }',
  log: '{ warn(message: string): void; info(message: string): void; error(message: string): void }',
  socket: '{ remoteAddress: string; close(code?: number, reason?: string): void }',
  refuse: '(path?: string) => void',
};

interface Example {
  file: string;
  line: number;
  code: string;
}

/** Names a module exports (for examples of internal helpers). */
function exportsOf(program: ts.Program, file: string): Set<string> {
  const sf = program.getSourceFile(file);
  const symbol = sf && program.getTypeChecker().getSymbolAtLocation(sf);
  return new Set(
    symbol === undefined
      ? []
      : program
          .getTypeChecker()
          .getExportsOfModule(symbol)
          .map((s) => s.name),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The `@example` blocks of every JSDoc comment in `file`, code fences removed. */
function examplesIn(file: string): Example[] {
  const text = readFileSync(file, 'utf8');
  const out: Example[] = [];
  for (const m of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = m[0]
      .replace(/^\/\*\*/, '')
      .replace(/\*\/$/, '')
      .split('\n')
      .map((l) => l.replace(/^\s*\* ?/, ''));
    const startLine = text.slice(0, m.index).split('\n').length;
    for (let i = 0; i < lines.length; i++) {
      const head = /^@example\b\s*(.*)$/.exec(lines[i]!);
      if (head === null) continue;
      const body: string[] = head[1] ? [head[1]] : [];
      let j = i + 1;
      for (; j < lines.length && !/^@\w/.test(lines[j]!); j++) body.push(lines[j]!);
      const code = body
        .filter((l) => !/^\s*```/.test(l))
        .join('\n')
        .trim();
      if (code !== '') out.push({ file: relative(root, file), line: startLine + i, code });
      i = j - 1;
    }
  }
  return out;
}

/** The entry that owns a source file (`src/testing/x.ts` → `geoadmit/testing`), if any. */
function ownEntry(file: string): string | undefined {
  const folder = /^src\/([^/]+)\//.exec(file)?.[1];
  return entries().find((e) => e.name.endsWith(`/${folder}`))?.name;
}

const examples = sourceFiles(join(root, 'src')).flatMap(examplesIn);

/** Where each example's module lives (virtual files beside the tests). */
const virtual = new Map<string, Example>(examples.map((ex, i) => [join(root, 'test', '.doc-examples', `example-${i}.ts`), ex]));

/**
 * Type-checks every example with `prefixes` (imports and placeholders) put before its code;
 * returns the error messages per example. `noImplicitAny` is off: an example's callback
 * parameters are typed by frameworks the example only alludes to.
 */
function check(prefixes: Map<Example, string>, old?: ts.Program): { program: ts.Program; errors: Map<Example, string[]> } {
  const base = createProgram([], {}).getCompilerOptions();
  const options = { ...base, noUnusedLocals: false, noUnusedParameters: false, allowUnreachableCode: true, noImplicitAny: false };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  const text = (name: string) => {
    const ex = virtual.get(name);
    return ex === undefined ? undefined : `${prefixes.get(ex) ?? ''}${ex.code}\nexport {};\n`;
  };
  host.fileExists = (name) => virtual.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => text(name) ?? readFile(name);
  host.getSourceFile = (name, lang, ...rest) => {
    const t = text(name);
    return t === undefined ? getSourceFile(name, lang, ...rest) : ts.createSourceFile(name, t, lang, true);
  };
  // The entries, every file with an example (internal helpers' examples import their own module) and the examples.
  const roots = [...entries().map((e) => e.source), ...new Set(examples.map((ex) => join(root, ex.file))), ...virtual.keys()];
  const program = ts.createProgram(roots, options, host, old);
  const errors = new Map<Example, string[]>();
  for (const [name, ex] of virtual) {
    const sf = program.getSourceFile(name);
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    errors.set(
      ex,
      diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    );
  }
  return { program, errors };
}

/** Names Node.js examples use without importing them, and where they come from. */
const NODE_NAMES: Record<string, string> = {
  readFileSync: 'node:fs',
  writeFileSync: 'node:fs',
  readFile: 'node:fs/promises',
  writeFile: 'node:fs/promises',
  createServer: 'node:http',
  expect: 'vitest',
  describe: 'vitest',
  it: 'vitest',
  test: 'vitest',
  Reader: 'maxmind',
  Hono: 'hono',
};
const NODE_NAMESPACES: Record<string, string> = { http: 'node:http', fs: 'node:fs', path: 'node:path' };

describe('doc-comment examples', () => {
  it('there are examples to check', () => {
    expect(examples.length).toBeGreaterThan(10);
  });

  it('every @example in src/ type-checks', () => {
    // First pass: find the names each example uses without declaring them.
    const first = check(new Map());
    const surface = typeSurface(first.program);
    const prefixes = new Map<Example, string>();
    for (const [ex, errors] of first.errors) {
      const missing = new Set(errors.flatMap((e) => /^(?:Cannot find name|No value exists in scope for the shorthand property) '([^']+)'/.exec(e)?.[1] ?? []));
      if (missing.size === 0) continue;
      const order = [ownEntry(ex.file), 'geoadmit', ...Object.keys(surface)].filter((e): e is string => e !== undefined);
      const ownFile = join(root, ex.file);
      const folderIndex = join(root, ex.file.replace(/^(src\/[^/]+)\/.*$/, '$1/index.ts'));
      const own = exportsOf(first.program, ownFile);
      const folder = exportsOf(first.program, folderIndex);
      const imports = new Map<string, string[]>();
      const lines: string[] = [];
      for (const name of missing) {
        const from = order.find((e) => surface[e]?.[name] !== undefined) ?? NODE_NAMES[name];
        // An example of an internal helper may use its own module's exports.
        const self = own.has(name) ? ownFile.replace(/\.ts$/, '.js') : folder.has(name) ? folderIndex.replace(/\.ts$/, '.js') : undefined;
        if (from !== undefined) imports.set(from, [...(imports.get(from) ?? []), name]);
        else if (self !== undefined) imports.set(self, [...(imports.get(self) ?? []), name]);
        else if (NODE_NAMESPACES[name] !== undefined) lines.push(`import * as ${name} from '${NODE_NAMESPACES[name]}';`);
        else if (PLACEHOLDERS[name] !== undefined) lines.push(`declare const ${name}: ${PLACEHOLDERS[name]};`);
      }
      const typeOnly = (from: string, name: string) => /^(interface|type)$/.test(surface[from]?.[name] ?? '');
      for (const [from, names] of imports) lines.unshift(`import { ${names.map((n) => (typeOnly(from, n) ? `type ${n}` : n)).join(', ')} } from '${from}';`);
      prefixes.set(ex, `${lines.join(' ')}\n`);
    }
    const second = check(prefixes, first.program).errors;
    const failures = [...second]
      .filter(([, errors]) => errors.length > 0)
      .map(([ex, errors]) => `${ex.file}:${ex.line}\n    ${errors.join('\n    ')}\n  ${ex.code.replace(/\n/g, '\n  ')}`);
    expect(failures, `${failures.length} of ${examples.length} examples do not compile:\n${failures.join('\n\n')}`).toEqual([]);
  });
});
