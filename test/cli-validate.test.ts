import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_RESTRICTIONS, makeTempDir, runCliProcess } from './helpers/cli.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
const file = (name: string, content: string | Buffer): string => {
  const path = join(tmp.dir, name);
  writeFileSync(path, content);
  return path;
};

describe('geoadmit validate', () => {
  it('accepts a valid file: exit 0 and a one-line verdict', async () => {
    const path = file('good.json', JSON.stringify(CLI_RESTRICTIONS));
    const run = await runCliProcess(['validate', path]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${path}: 2 restrictions, 2 valid; valid\n`);
    expect(run.stderr).toBe('');
  });

  it('lists a bad restriction among good ones with its $[i] path, containment refusals included; exit 1', async () => {
    const docs = [
      CLI_RESTRICTIONS[0],
      { ...CLI_RESTRICTIONS[0], id: 'req-hk', regions: ['CN-XZ', 'HK'] },
      { ...CLI_RESTRICTIONS[0], id: 'req-typo', regions: ['XX'], colour: 'red' },
      CLI_RESTRICTIONS[1],
    ];
    const path = file('mixed.json', JSON.stringify(docs));
    const run = await runCliProcess(['validate', path]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^✗ \$\[1\]\.regions\[1\]: .*HK.* \[E_OUT_OF_JURISDICTION\] \(id "req-hk"\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^✗ \$\[2\]\.regions\[0\]: .*XX.* \[E_INVALID_RESTRICTION\] \(id "req-typo"\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^✗ \$\[2\]\.colour: .*\[E_INVALID_RESTRICTION\]/));
    expect(lines.at(-1)).toBe(`${path}: 4 restrictions, 2 valid; 3 problems`);
    expect(lines.some((l) => l.includes('$[0]') || l.includes('$[3]'))).toBe(false);

    const json = await runCliProcess(['validate', path, '--json']);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ restrictions: 4, valid: 2 });
    expect(out.problems).toContainEqual({ index: 1, id: 'req-hk', code: 'E_OUT_OF_JURISDICTION', path: '$[1].regions[1]', message: expect.any(String) });
  });

  it('warns (without failing) when the database cannot answer a subdivision restriction', async () => {
    const path = file('subdivision.json', JSON.stringify([{ ...CLI_RESTRICTIONS[0], regions: ['CN-XZ'] }]));
    const run = await runCliProcess(['validate', path]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^! warning: restriction "req-cn": \$\.regions names subdivisions \(CN-XZ\) but the configured geo data has no subdivisions/m);
  });

  it('validates a single document (not an array) with $ paths', async () => {
    const path = file('single.json', JSON.stringify({ ...CLI_RESTRICTIONS[0], scope: {} }));
    const run = await runCliProcess(['validate', path, '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).problems[0].path).toMatch(/^\$\.scope/);
  });
});

describe('unreadable input: exit 2 and one line naming the file', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a missing file', () => join(tmp.dir, 'nope.json'), /cannot read restrictions file .*nope\.json: no such file/],
    [
      'a directory',
      () => (mkdirSync(join(tmp.dir, 'adir'), { recursive: true }), join(tmp.dir, 'adir')),
      /cannot read restrictions file .*adir: is a directory/,
    ],
    [
      'a binary file',
      () => file('binary.json', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0xff])),
      /restrictions file .*binary\.json is not a text file/,
    ],
    ['an empty file', () => file('empty.json', ''), /restrictions file .*empty\.json is empty/],
    ['whitespace only', () => file('blank.json', ' \n\t\n'), /restrictions file .*blank\.json is empty/],
    ['truncated JSON', () => file('trunc.json', '[{"id": "a"'), /restrictions file .*trunc\.json is not valid JSON: /],
  ];
  for (const [name, make, message] of cases) {
    it(`${name}: validate and check both refuse`, async () => {
      const path = make();
      for (const args of [
        ['validate', path],
        ['check', '--restrictions', path, '--meeting', 'm', '--ip', '1.2.4.8'],
      ]) {
        const run = await runCliProcess(args);
        expect(run.code, `${args[0]} on ${name}`).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(new RegExp(`^geoadmit: ${message.source}`));
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
      }
    });
  }
});
