#!/usr/bin/env node
/**
 * The package's public surface as the TypeScript compiler sees it: every entry point of
 * package.json `exports`, each export's declaration kind, and which public declarations
 * (interface, class and object-literal members included) have no JSDoc.
 *
 * Used by test/api-surface.test.ts (the committed API report in api/) and by
 * `npm run docs:check` (this file run directly: prints the undocumented members, exit 1 when any).
 * Plain JavaScript so that node runs it without a build step.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Entry points as users import them (`geoadmit`, `geoadmit/testing`, ...), from package.json
 * `exports`, each with its source file from tsconfig.json `paths` (the same map vitest aliases).
 * @returns {{ name: string, source: string }[]}
 */
export function entries() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
  const paths = config.compilerOptions.paths;
  return Object.keys(pkg.exports)
    .filter((key) => key !== './package.json')
    .map((key) => {
      const name = key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`;
      const target = paths[name]?.[0];
      if (target === undefined) throw new Error(`tsconfig.json paths has no entry for ${name} (package.json exports ${key})`);
      return { name, source: resolve(root, target) };
    });
}

/** A program over every entry's source with the project's compiler options. */
export function createProgram(extraFiles = [], overrides = {}) {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (parsed === undefined) throw new Error('cannot read tsconfig.json');
  const files = [...entries().map((e) => e.source), ...extraFiles];
  return ts.createProgram(files, { ...parsed.options, noEmit: true, ...overrides });
}

/** The declaration kind of an exported symbol: `function`, `class`, `const`, `interface`, `type`, `enum`, `namespace`, joined with `+` when a name is both. */
function kindOf(symbol) {
  const kinds = [];
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) kinds.push('class');
  if (f & ts.SymbolFlags.Function) kinds.push('function');
  if (f & ts.SymbolFlags.Variable) kinds.push('const');
  if (f & ts.SymbolFlags.Enum) kinds.push('enum');
  if (f & ts.SymbolFlags.Interface && !(f & ts.SymbolFlags.Class)) kinds.push('interface');
  if (f & ts.SymbolFlags.TypeAlias) kinds.push('type');
  if (f & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)) kinds.push('namespace');
  return kinds.join('+') || 'unknown';
}

function resolveAlias(checker, symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/**
 * Every entry's exports with their declaration kinds, sorted by name.
 * @returns {Record<string, Record<string, string>>}
 */
export function typeSurface(program = createProgram()) {
  const checker = program.getTypeChecker();
  const out = {};
  for (const entry of entries()) {
    const file = program.getSourceFile(entry.source);
    if (file === undefined) throw new Error(`${entry.source} is not in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(file);
    const exports = moduleSymbol === undefined ? [] : checker.getExportsOfModule(moduleSymbol);
    const kinds = {};
    for (const symbol of [...exports].sort((a, b) => (a.name < b.name ? -1 : 1))) kinds[symbol.name] = kindOf(resolveAlias(checker, symbol));
    out[entry.name] = kinds;
  }
  return out;
}

function hasDoc(checker, symbol, declaration) {
  if (symbol.getDocumentationComment(checker).length > 0) return true;
  // A bare `@example`, `@deprecated` or `@param` block still documents the member.
  return ts.getJSDocCommentsAndTags(declaration).length > 0;
}

function isPrivate(declaration) {
  const flags = ts.getCombinedModifierFlags(declaration);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return true;
  const name = declaration.name;
  return name !== undefined && ts.isPrivateIdentifier(name);
}

/** Members declared directly in `declaration` (interface, class, type literal, `as const` object). */
function membersOf(declaration) {
  if (ts.isInterfaceDeclaration(declaration) || ts.isClassDeclaration(declaration)) return declaration.members;
  if (ts.isTypeAliasDeclaration(declaration) && ts.isTypeLiteralNode(declaration.type)) return declaration.type.members;
  if (ts.isVariableDeclaration(declaration) && declaration.initializer !== undefined) {
    let init = declaration.initializer;
    while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
    if (ts.isObjectLiteralExpression(init)) return init.properties;
  }
  return [];
}

/**
 * Public declarations without JSDoc, as `entry: Name` or `entry: Name.member`, each with its
 * file and line. Re-exports are followed to their declaration; a name exported by several
 * entries is listed once, under the first.
 * @returns {{ total: number, documented: number, missing: { entry: string, name: string, where: string }[] }}
 */
export function docCoverage(program = createProgram()) {
  const checker = program.getTypeChecker();
  const seen = new Set();
  const missing = [];
  let total = 0;
  const check = (entry, name, symbol, declaration) => {
    if (seen.has(declaration)) return;
    seen.add(declaration);
    total += 1;
    if (!hasDoc(checker, symbol, declaration)) {
      const sf = declaration.getSourceFile();
      const { line } = sf.getLineAndCharacterOfPosition(declaration.getStart());
      missing.push({ entry, name, where: `${relative(root, sf.fileName)}:${line + 1}` });
    }
  };
  for (const entry of entries()) {
    const file = program.getSourceFile(entry.source);
    const moduleSymbol = file && checker.getSymbolAtLocation(file);
    if (moduleSymbol === undefined) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = resolveAlias(checker, exported);
      for (const declaration of symbol.declarations ?? []) {
        if (declaration.getSourceFile().isDeclarationFile) continue;
        // `export type X = ...` beside `export const X = {...}`: one doc comment covers the pair.
        if (ts.isTypeAliasDeclaration(declaration) && symbol.flags & ts.SymbolFlags.Variable) continue;
        check(entry.name, exported.name, symbol, declaration);
        for (const member of membersOf(declaration)) {
          if (ts.isConstructorDeclaration(member) || ts.isClassStaticBlockDeclaration(member) || ts.isIndexSignatureDeclaration(member)) continue;
          if (ts.isSemicolonClassElement?.(member) || isPrivate(member)) continue;
          const memberSymbol = member.symbol ?? (member.name && checker.getSymbolAtLocation(member.name));
          if (memberSymbol === undefined) continue;
          check(entry.name, `${exported.name}.${memberSymbol.name}`, memberSymbol, member);
        }
      }
    }
  }
  return { total, documented: total - missing.length, missing };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { total, documented, missing } = docCoverage();
  const byEntry = new Map();
  for (const m of missing) byEntry.set(m.entry, [...(byEntry.get(m.entry) ?? []), m]);
  for (const [entry, list] of byEntry) {
    console.log(`${entry}: ${list.length} without JSDoc`);
    for (const m of list) console.log(`  ${m.name}  (${m.where})`);
  }
  const pct = total === 0 ? 100 : (100 * documented) / total;
  console.log(`JSDoc: ${documented}/${total} public declarations and members documented (${pct.toFixed(1)}%)`);
  process.exitCode = missing.length === 0 ? 0 : 1;
}
