/**
 * Every example in README.md and docs/*.md runs, so the documentation cannot
 * drift from the code again (issue 14: the README's `check` example said
 * DENIED where the command said ADMITTED).
 *
 * - Shell (` ```sh `, ` ```bash `, ` ```console `): each line that runs
 *   `geoadmit` (also `npx geoadmit`, after `VAR=value` assignments, or at the
 *   end of a pipe) runs in bash against the CLI built from source, in a
 *   directory holding the files the examples name (built below from the
 *   documentation's own restriction document, in docs/restrictions.md). A `console` transcript's command must
 *   exit as shown (`(exit N)`, else 0) and print the same first word; a
 *   recipe must be valid usage (exit 0 or 1, never 2).
 * - TypeScript (` ```ts `): every block is type-checked against the package
 *   (the same path mapping as the tests). Snippets leave their surroundings
 *   undeclared (`geo`, `app`, ...), so only errors about the package's API
 *   count: a renamed export, a misspelt option, a wrong argument.
 * - A block preceded by `<!-- not-run: reason -->` is listed here as skipped
 *   with its reason (for snippets that need a server or a media server).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate, StaticResolver } from 'geoadmit';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { cliPath, makeTempDir } from './helpers/cli.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The documents whose examples are checked, relative to the repository. */
const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

interface Block {
  /** The document, relative to the repository (`docs/cli.md`). */
  file: string;
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** Reason given in a `<!-- not-run: reason -->` comment just before the fence. */
  notRun?: string;
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i] as string);
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++;
    let before = i - 1;
    while (before >= 0 && (lines[before] as string).trim() === '') before--;
    const marker = before >= 0 ? /^<!--\s*not-run(?::\s*(.*?))?\s*-->$/.exec((lines[before] as string).trim()) : null;
    const block: Block = { file, lang: open[1] ?? '', line: i + 1, code: lines.slice(i + 1, end).join('\n') };
    if (marker !== null) block.notRun = marker[1] ?? 'no reason given';
    blocks.push(block);
    i = end;
  }
  return blocks;
}

const BLOCKS = DOCUMENTS.flatMap(blocksOf);

/** Where a block or line is, for test names and messages: `docs/cli.md:42`. */
const at = (file: string, line: number): string => `${file}:${line}`;

interface ShellCommand {
  file: string;
  line: number;
  command: string;
  /** `console` transcripts: the exit code shown and the first word of the output shown. */
  expect?: { code: number; firstWord: string | undefined };
}

/** A line that runs geoadmit: optional `VAR=value`s, then `geoadmit` / `npx geoadmit`, or `... | geoadmit`. */
const RUNS_GEOADMIT = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx\s+)?geoadmit\s|\|\s*(?:npx\s+)?geoadmit\s/;

function shellCommands(block: Block): ShellCommand[] {
  const lines = block.code.split('\n');
  const out: ShellCommand[] = [];
  if (block.lang === 'console') {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i] as string;
      if (!text.startsWith('$ ')) continue;
      const command = text.slice(2);
      let j = i + 1;
      const shown: string[] = [];
      while (j < lines.length && !(lines[j] as string).startsWith('$ ')) shown.push(lines[j++] as string);
      const exit = shown.map((l) => /^\(exit (\d+)\)$/.exec(l.trim())).find((m) => m !== null);
      const first = shown.find((l) => l.trim() !== '' && !/^\(exit \d+\)$/.test(l.trim()));
      if (RUNS_GEOADMIT.test(`${command} `))
        out.push({
          file: block.file,
          line: block.line + 1 + i,
          command,
          expect: { code: exit == null ? 0 : Number(exit[1]), firstWord: first?.trim().split(/\s+/)[0] },
        });
    }
    return out;
  }
  lines.forEach((text, i) => {
    const command = text.replace(/\s+#\s.*$/, '').trim();
    if (command.startsWith('#') || !RUNS_GEOADMIT.test(`${command} `)) return;
    out.push({ file: block.file, line: block.line + 1 + i, command });
  });
  return out;
}

const tmp = makeTempDir('geoadmit-readme-');
const work = join(tmp.dir, 'work');
afterAll(() => tmp.cleanup());

/** The documentation's own restriction document (the ```json block in docs/restrictions.md). */
function readmeRestriction(): Record<string, unknown> {
  const json = BLOCKS.find((b) => b.file === 'docs/restrictions.md' && b.lang === 'json' && b.code.includes('"authority"'));
  if (json === undefined) throw new Error('docs/restrictions.md has no restriction document');
  return JSON.parse(json.code) as Record<string, unknown>;
}

/** Files the shell examples name, made with the package itself. */
beforeAll(async () => {
  mkdirSync(work, { recursive: true });
  const bin = join(tmp.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'geoadmit'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath()}" "$@"\n`);
  chmodSync(join(bin, 'geoadmit'), 0o755);

  const order = readmeRestriction();
  const put = (name: string, content: string | Buffer): void => writeFileSync(join(work, name), content);
  put('order-a.json', JSON.stringify(order, null, 2));
  put('new-order.json', JSON.stringify(order, null, 2));
  put('orders.json', JSON.stringify([order, { ...order, id: 'req-2020-06-04-b', regions: ['CN', 'HK'] }], null, 2));
  const joins = [
    { meetingId: 'm-1001', participantId: 'p-1', peerAddress: '1.2.4.8' },
    { meetingId: 'm-1001', participantId: 'p-2', peerAddress: '8.8.8.8' },
    { meetingId: 'm-2002', participantId: 'p-3', peerAddress: '1.2.4.9', hostAccountId: 'acct-42' },
    { meetingId: 'm-3003', participantId: 'p-4', peerAddress: '8.8.4.4' },
  ];
  const log = `${joins.map((j) => JSON.stringify(j)).join('\n')}\noops\n`;
  put('joins.jsonl', log);
  put('joins.jsonl.gz', gzipSync(log));
  put('feed.csv', '81.2.69.0/24,GB,GB-ENG,London,\n36.110.0.0/16,CN,CN-XZ,,\n');

  const keys = generateKeyPairSync('ed25519');
  put('audit-signing.pub', keys.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const clock = () => Date.parse('2020-06-04T10:00:00Z');
  for (const [name, signed] of [
    ['audit.jsonl', true],
    ['node-a.jsonl', false],
    ['node-b.jsonl', false],
  ] as const) {
    const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN', '8.8.8.0/24': 'US' }), clock });
    const sink = createJsonlAuditSink(join(work, name), { fsync: 'never', clock, ...(signed ? { signingKey: keys.privateKey } : {}) });
    sink.attach(gate);
    await gate.restrict({ ...order, id: `req-${name}` } as unknown);
    await gate.admit({ meetingId: 'm-1001', participantId: 'p-1', peerAddress: '1.2.4.8' });
    await sink.close();
    await gate.close();
  }
});

function run(command: string): { code: number | null; output: string; stdout: string } {
  const result = spawnSync('bash', ['-c', command.replace(/\bnpx\s+geoadmit\b/g, 'geoadmit')], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(tmp.dir, 'bin')}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1', FORCE_COLOR: undefined },
    timeout: 60_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

describe('shell examples in README.md and docs/ run', () => {
  const commands = BLOCKS.filter((b) => ['sh', 'bash', 'console', 'shell'].includes(b.lang) && b.notRun === undefined).flatMap(shellCommands);

  it('finds the examples', () => {
    expect(commands.length).toBeGreaterThan(5);
  });

  it.each(commands.map((c) => [`${at(c.file, c.line)}: ${c.command}`, c] as const))('%s', (_name, c) => {
    const result = run(c.command);
    if (c.expect !== undefined) {
      expect(result.code, result.output).toBe(c.expect.code);
      if (c.expect.firstWord !== undefined) expect(result.stdout.trim().split(/\s+/)[0], result.output).toBe(c.expect.firstWord);
    } else {
      // A recipe: valid usage against the example files (findings, exit 1, are fine).
      expect([0, 1], result.output).toContain(result.code);
    }
  });
});

/** Diagnostics that only say a snippet's surroundings are left out (free names, implicit any, unused). */
const SURROUNDINGS = new Set([1108, 2304, 2552, 2582, 7005, 7006, 7031, 7034, 6133, 6192, 6196, 2454, 1375, 1378, 18004]);

describe('TypeScript examples in README.md and docs/ type-check against the package', () => {
  const tsBlocks = BLOCKS.filter((b) => (b.lang === 'ts' || b.lang === 'typescript') && b.notRun === undefined);
  let diagnostics: Map<string, string[]>;
  let canaryCodes: number[] = [];

  beforeAll(() => {
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
    // Virtual files inside the repository, so `geoadmit` and installed packages resolve as in the tests.
    const dir = join(ROOT, '.tmp', 'readme-ts');
    const virtual = (b: Block): string => join(dir, `${b.file.replace(/[/.]/g, '-')}-${b.line}.ts`);
    const files = new Map(tsBlocks.map((b) => [virtual(b), `${b.code}\nexport {};\n`]));
    // A canary the checker must fault, so a broken set-up cannot pass every block silently.
    files.set(
      join(dir, 'canary.ts'),
      "import { createGat } from 'geoadmit';\nimport { createGate } from 'geoadmit';\ncreateGate({ geo, trustedProxy: [] });\nexport {};\n",
    );
    const host = ts.createCompilerHost(options);
    const { fileExists, readFile, getSourceFile } = host;
    host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
    host.readFile = (f) => files.get(f) ?? readFile.call(host, f);
    host.getSourceFile = (f, lang, ...rest) => {
      const text = files.get(f);
      return text === undefined ? getSourceFile.call(host, f, lang, ...rest) : ts.createSourceFile(f, text, lang, true);
    };
    const program = ts.createProgram([...files.keys()], options, host);
    diagnostics = new Map();
    for (const b of tsBlocks) {
      const file = program.getSourceFile(virtual(b));
      const found = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]
        .filter((d) => !SURROUNDINGS.has(d.code))
        .map((d) => {
          const offset = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
          return `${at(b.file, b.line + 1 + offset)}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
      diagnostics.set(at(b.file, b.line), found);
    }
    const canary = program.getSourceFile(join(dir, 'canary.ts'));
    canaryCodes = program
      .getSemanticDiagnostics(canary)
      .map((d) => d.code)
      .filter((c) => !SURROUNDINGS.has(c));
  }, 120_000);

  it('finds the examples, and the checker faults a misspelt export and a misspelt option', () => {
    expect(tsBlocks.length).toBeGreaterThan(5);
    expect(canaryCodes).toEqual(expect.arrayContaining([2724]));
    expect(canaryCodes.some((c) => c === 2353 || c === 2561)).toBe(true);
  });

  it.each(tsBlocks.map((b) => [at(b.file, b.line), b] as const))('%s', (_name, b) => {
    expect(diagnostics.get(at(b.file, b.line))).toEqual([]);
  });
});

describe('documentation blocks marked not-run', () => {
  const skipped: [string, Block | undefined][] = BLOCKS.filter((b) => b.notRun !== undefined).map((b) => [`${at(b.file, b.line)}: ${b.notRun ?? ''}`, b]);
  if (skipped.length === 0) skipped.push(['(none)', undefined]);
  it.each(skipped)('%s carries a reason', (_name, b) => {
    if (b !== undefined) expect(b.notRun).not.toBe('no reason given');
  });
});

describe('the documentation holds together', () => {
  /** Text files of the repository that people read (sources, tests, docs, bench, examples, scripts). */
  function readable(dir: string): string[] {
    return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
      const path = `${dir}/${d.name}`;
      if (d.isDirectory()) return ['node_modules', 'results', 'api'].includes(d.name) ? [] : readable(path);
      return /\.(ts|mjs|cjs|js|md)$/.test(d.name) ? [path] : [];
    });
  }

  it('nothing cites a document outside the repository: the design lives in docs/', () => {
    // Built from parts so this file does not match itself.
    const outside = new RegExp(['\\bS' + 'PEC(?: section)? \\d', 'STY' + 'LE\\.md', '\\.\\./sha' + 'red/'].join('|'));
    const files = ['README.md', 'CHANGELOG.md', '.dependency-cruiser.cjs', ...['src', 'test', 'docs', 'bench', 'examples', 'scripts'].flatMap(readable)];
    const found = files.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (outside.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it('README.md stays a short map: under 400 lines, the design lives in docs/', () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length;
    expect(lines).toBeLessThan(400);
  });

  /** Relative links (`docs/cli.md`, `../examples/x.ts`, `audit.md#verifying-a-log`) and what they point at. */
  const links = DOCUMENTS.flatMap((file) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target))
      .filter((target, i, all) => all.indexOf(target) === i)
      .map((target) => [`${file} -> ${target}`, file, target] as const),
  );

  it.each(links)('%s resolves', (_name, file, target) => {
    const [path = '', anchor] = target.split('#');
    const resolved = path === '' ? join(ROOT, file) : join(ROOT, dirname(file), path);
    let text: string;
    try {
      text = readFileSync(resolved, 'utf8');
    } catch {
      throw new Error(`${file} links to ${target}, but ${path} does not exist`);
    }
    if (anchor !== undefined && resolved.endsWith('.md')) {
      // GitHub's anchors: headings lower-cased, punctuation dropped, spaces to hyphens.
      const anchors = [...text.matchAll(/^#{1,6}\s+(.*)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s-]/gu, '')
          .replace(/\s/g, '-'),
      );
      expect(anchors, `${file} links to ${target}`).toContain(anchor);
    }
  });
});
