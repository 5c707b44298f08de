/**
 * The committed API report: every entry point's runtime exports (api/exports.json, name and
 * kind) and every exported name with its declaration kind as the compiler sees it
 * (api/types.json). Any change to the public surface shows up as a diff here; after a
 * deliberate change, `npm run api:update` rewrites both files for review.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProgram, entries, root, typeSurface } from '../scripts/api-surface.mjs';

const update = process.env.GEOADMIT_API_UPDATE === '1';
const VALUE_KINDS = /^(class|function|const|enum)/;

/** `class`, `function`, `object`, `string`, ... for one runtime export. */
function runtimeKind(value: unknown): string {
  if (typeof value === 'function') return /^class[\s{]/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
  if (value === null) return 'null';
  return typeof value;
}

async function runtimeSurface(): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const entry of entries()) {
    const mod = (await import(/* @vite-ignore */ entry.name)) as Record<string, unknown>;
    const kinds: Record<string, string> = {};
    for (const name of Object.keys(mod).sort()) kinds[name] = runtimeKind(mod[name]);
    out[entry.name] = kinds;
  }
  return out;
}

function compare(file: string, actual: Record<string, Record<string, string>>): void {
  const path = join(root, 'api', file);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (update || !existsSync(path)) {
    writeFileSync(path, text);
    if (!update) throw new Error(`api/${file} did not exist: written now, review and commit it`);
    return;
  }
  // toEqual prints a per-name diff; the hint says how to accept a deliberate change.
  expect(JSON.parse(readFileSync(path, 'utf8')), `public surface changed: review, then \`npm run api:update\` and commit api/${file}`).toEqual(actual);
}

describe('public API report', () => {
  it('runtime exports of every entry match api/exports.json', async () => {
    compare('exports.json', await runtimeSurface());
  });

  it('exported names and kinds of every entry match api/types.json', () => {
    compare('types.json', typeSurface(createProgram()));
  });

  it('every value the compiler exports exists at run time, and nothing else does', async () => {
    const runtime = await runtimeSurface();
    const types = typeSurface(createProgram());
    for (const entry of entries()) {
      const values = Object.entries(types[entry.name] ?? {})
        .filter(([, kind]) => VALUE_KINDS.test(kind))
        .map(([name]) => name);
      expect(Object.keys(runtime[entry.name] ?? {}).sort(), entry.name).toEqual(values.sort());
    }
  });
});
