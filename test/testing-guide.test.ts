/** The README's "Testing your integration" and "Writing a rule" examples, run as written. */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import 'geoadmit/vitest';
import type { Rule } from 'geoadmit';
import { createTestGate, type TestGate } from 'geoadmit/testing';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The README section under `heading`, up to the next `## `. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('Testing your integration', () => {
  const takedown = { id: 'r-cn', authority: { name: 'Example Authority', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m-1'] } } as const;
  let t: TestGate;
  beforeEach(() => {
    t = createTestGate({ restrictions: [takedown] });
  });
  afterEach(() => t.close());

  it('keeps mainland China out of m-1, not Hong Kong', async () => {
    expect(await t.join('m-1', 'p-1', 'CN-XZ')).toBeDenied('region-restricted');
    expect(await t.join('m-1', 'p-2', 'HK')).toBeAdmitted();
    await t.join('m-2', 'p-3', 'CN');
    await t.join('m-2', 'p-4', 'US-CA');
    expect(await t.gate.restrict({ ...takedown, id: 'r-cn-2', scope: { meetings: ['m-2'] } })).toHaveRemoved(['p-3']);
  });

  it('shows the failure message the README shows', async () => {
    const text = /```text\n((?: {2}.*\n)+?) {2}```/.exec(section('Testing your integration'))?.[1];
    expect(text).toBeDefined();
    const denied = await t.join('m-1', 'p-1', 'CN-BJ');
    let message = '';
    try {
      expect(denied).toBeAdmitted();
    } catch (error) {
      message = (error as Error).message;
    }
    // The README indents the block by two spaces inside a list item.
    expect(`${message}\n`).toBe(text!.replace(/^ {2}/gm, ''));
  });
});

describe('Writing a rule', () => {
  /** Meetings marked "domestic only" admit participants located in their host's country. */
  function domesticOnly(countryOf: (meetingId: string) => string | undefined): Rule {
    return {
      name: 'domestic-only',
      evaluate({ join, location }) {
        const home = countryOf(join.meetingId);
        if (home === undefined) return undefined; // not a domestic-only meeting
        if (location.country === home) return undefined;
        return { deny: true, message: `this meeting admits participants in ${home} only` };
      },
    };
  }

  let t: TestGate;
  beforeEach(() => {
    t = createTestGate({ rules: [domesticOnly((m) => (m === 'm-fr' ? 'FR' : undefined))] });
  });
  afterEach(() => t.close());

  it('admits only participants in the host country', async () => {
    expect(await t.join('m-fr', 'p-1', 'FR-IDF')).toBeAdmitted();
    const abroad = await t.join('m-fr', 'p-2', 'DE');
    expect(abroad).toBeDenied('rule');
    expect(abroad.reasons).toEqual([{ code: 'rule', rule: 'domestic-only', message: 'this meeting admits participants in FR only' }]);
    expect(await t.join('m-other', 'p-3', 'DE')).toBeAdmitted();
  });

  it('is the rule and the test the README shows', () => {
    const guide = section('Writing a rule');
    for (const line of [
      "name: 'domestic-only',",
      'if (home === undefined) return undefined;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the README's source text, placeholder included
      'return { deny: true, message: `this meeting admits participants in ${home} only` };',
      "expect(await t.join('m-fr', 'p-1', 'FR-IDF')).toBeAdmitted();",
      "expect(abroad).toBeDenied('rule');",
    ]) {
      expect(guide).toContain(line);
    }
  });
});
