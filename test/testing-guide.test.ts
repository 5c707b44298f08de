/** The testing guide's examples (docs/testing.md, and the rule from docs/integrating.md), run as written. */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import 'geoadmit/vitest';
import type { Rule } from 'geoadmit';
import { createTestGate, type TestGate } from 'geoadmit/testing';

/** The section of `doc` (under docs/) under the `## ` or `### ` heading `heading`, up to the next heading. */
function section(doc: string, heading: string): string {
  const text = readFileSync(new URL(`../docs/${doc}`, import.meta.url), 'utf8');
  const found = new RegExp(`\\n#{2,3} ${heading}\\n`).exec(text);
  expect(found, `docs/${doc} has a "${heading}" section`).not.toBeNull();
  const start = found?.index ?? 0;
  const end = text.slice(start + 1).search(/\n#{2,3} /);
  return text.slice(start, end === -1 ? undefined : start + 1 + end);
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

  it('shows the failure message the guide shows', async () => {
    const text = /```text\n((?:.*\n)+?)```/.exec(section('testing.md', 'Matchers'))?.[1];
    expect(text).toBeDefined();
    const denied = await t.join('m-1', 'p-1', 'CN-BJ');
    let message = '';
    try {
      expect(denied).toBeAdmitted();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(`${message}\n`).toBe(text);
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

  it('is the rule and the test the guides show', () => {
    const guide = `${section('integrating.md', 'Rules')}${section('testing.md', 'Testing a rule')}`;
    for (const line of [
      "name: 'domestic-only',",
      'if (home === undefined) return undefined;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the guide's source text, placeholder included
      'return { deny: true, message: `this meeting admits participants in ${home} only` };',
      "expect(await t.join('m-fr', 'p-1', 'FR-IDF')).toBeAdmitted();",
      "expect(abroad).toBeDenied('rule');",
    ]) {
      expect(guide).toContain(line);
    }
  });
});
