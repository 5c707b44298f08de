// biome-ignore-all lint/performance/useDomNodeTextContent: Locator.innerText() is the rendered text an operator reads, what these tests assert
/**
 * The operator console end to end: the demo's signaling server with its four
 * meetings of real WebSocket participants and the real GeoLite2 database,
 * the console mounted, driven in headless Chromium by playwright-core.
 * Screenshots of each step go to test-output/console/ (git-ignored).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleDemo, startConsoleDemo } from '../examples/demo/demo.js';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { makeTempDir } from './helpers/temp-dir.js';

const available = chromiumAvailable('console-browser');

const shots = fileURLToPath(new URL('../test-output/console/', import.meta.url));

describe.skipIf(!available)('operator console in a real browser', () => {
  let demo: ConsoleDemo;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;

  type Annotate = (message: string, type?: string) => Promise<unknown>;
  // Each step's screenshot is named in the test output (an annotation, and a line on stdout).
  const shot = async (annotate: Annotate, name: string, fullPage = true): Promise<void> => {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage });
    console.log(`screenshot: ${path}`);
    await annotate(`screenshot: ${path}`, 'screenshot');
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    profile = makeTempDir('geoadmit-chromium-').dir;
    demo = await startConsoleDemo();
    browser = await launchChromium(profile, { width: 1280, height: 900 });
    page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    (page as Page & { problems: string[] }).problems = problems;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  const problems = (): string[] => (page as Page & { problems: string[] }).problems;

  it('asks for the token, refuses a wrong one, and signs in with the right one', async ({ annotate }) => {
    await page.goto(demo.url);
    await expect.poll(() => page.locator('#signin').isVisible()).toBe(true);
    expect(await page.locator('#app').isVisible()).toBe(false);
    await page.getByLabel('Access token').fill('not-the-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#signin-error').textContent()).toMatch(/not accepted/);
    await page.getByLabel('Access token').fill(demo.token);
    await page.keyboard.press('Enter'); // keyboard operable: submit from the field
    await page.locator('#app').waitFor({ state: 'visible' });
    await expect.poll(() => page.evaluate<number>('sessionStorage.length')).toBe(1);
    // The report renders in its sandboxed frame from the start.
    await expect.poll(() => page.frameLocator('#report-frame').locator('h1').first().textContent()).toMatch(/Transparency report/);
    await shot(annotate, '01-signed-in');
  });

  it('shows the four meetings with their participants counted by country, never an address', async ({ annotate }) => {
    const rows = page.locator('#meetings-body tr');
    await expect.poll(() => rows.count()).toBe(4);
    const text = await page.locator('#meetings').innerText();
    expect(text).toMatch(/meeting-A[^\n]*acct-a\s+2\s+[^\n]*(HK 1 · US 1|US 1 · HK 1)/);
    expect(text).toMatch(/meeting-B[^\n]*4[^\n]*CN 2/);
    expect(text).toMatch(/meeting-C[^\n]*4[^\n]*unknown 1/);
    expect(text).toMatch(/meeting-D[^\n]*3/);
    const html = await page.content();
    expect(html).not.toMatch(/1\.2\.4\.8|223\.5\.5\.5|202\.181\.0\.1|8\.8\.8\.8/);
    await expect.poll(() => page.locator('#live').textContent()).toMatch(/^Live/);
    // Country-level data: the always-empty "By region" column is left out, and a single node needs no "Nodes" column.
    const head = await page.locator('#meetings thead').innerText();
    expect(head).not.toMatch(/By region|Nodes/i);
    expect(head).toMatch(/By country/i);
    expect(await page.locator('#fleet').innerText()).toMatch(/the only one in the fleet/);
    // Joins in plain words: an unknown location says why, not a cause code.
    const activity = await page.locator('#activity').innerText();
    expect(activity).toMatch(/guest-C3 \(LAN\) joined meeting-C \(location unknown: a private or reserved network\)\./);
    expect(activity).not.toMatch(/non-global|participant\(s\)/);
    await shot(annotate, '02-meetings');
  });

  it('previews a CN demand on meetings A-C: mainland participants listed, meeting A undisturbed, nothing done yet', async ({ annotate }) => {
    await page.getByLabel('Restriction id').fill('demand-1');
    await page.getByLabel('Authority name').fill('Example Authority');
    await page.getByLabel('Authority jurisdiction').fill('CN');
    await page.getByLabel('Regions (ISO codes, comma-separated)').fill('CN');
    await page.getByLabel('Scope: meetings').fill('meeting-A, meeting-B, meeting-C');
    await page.getByLabel('Reference (optional)').fill('letter 2020-117');
    await page.getByLabel('Notice to the people affected (optional)').fill('Unavailable in your region by order of Example Authority.');
    await page.getByLabel('How to appeal, https link (optional)').fill('https://example.org/appeal');
    await page.getByRole('button', { name: 'Preview impact' }).click();
    const preview = page.locator('#preview');
    await expect.poll(() => preview.textContent()).toMatch(/Would remove 3 participants/);
    const text = await preview.innerText();
    expect(text).toMatch(/Counted on the only node in the fleet/);
    expect(text).not.toMatch(/\(s\)/);
    expect(text).toContain('guest-B2 (CN) — meeting-B');
    expect(text).toContain('guest-B3 (CN) — meeting-B');
    expect(text).toContain('guest-C2 (CN) — meeting-C');
    expect(text).not.toMatch(/HK\) —|US\) —/);
    expect(text).toMatch(/Meetings left undisturbed: meeting-A/);
    expect(text).toMatch(/Document digest [0-9a-f]{16}/);
    expect(demo.gate.restrictions()).toEqual([]);
    expect(demo.gate.participants('meeting-B')).toHaveLength(4);
    await shot(annotate, '03-preview-cn');
  });

  it('confirms the previewed demand: exactly the mainland participants are removed and their WebSockets close', async ({ annotate }) => {
    await page.getByRole('button', { name: 'Confirm and apply' }).click();
    await expect.poll(() => page.locator('#preview').textContent()).toMatch(/Removed 3 participants/);
    for (const id of ['guest-B2 (CN)', 'guest-B3 (CN)', 'guest-C2 (CN)']) {
      const closed = await demo.clients.get(id)!.closed;
      expect(closed.code, id).toBe(4451);
    }
    expect(demo.gate.participants('meeting-A').map((p) => p.participantId)).toEqual(['host-A (US)', 'guest-A (HK)']);
    expect(demo.gate.participants('meeting-B').map((p) => p.participantId)).toEqual(['host-B (US)', 'guest-B1 (HK)']);
    // The live view follows: no CN left in B and C, and the restriction is listed.
    await expect.poll(() => page.locator('#meetings-body tr[data-meeting="meeting-B"]').innerText()).not.toMatch(/CN/);
    await expect.poll(() => page.locator('#restrictions-body').innerText()).toMatch(/demand-1\s+takedown\s+Example Authority \(CN\)\s+CN/);
    await expect.poll(() => page.locator('#activity').innerText()).toMatch(/guest-B2 \(CN\) was removed from meeting-B by demand-1 \(located in CN\)\./);
    // The restriction's notice and appeal, as the people affected are told.
    const row = page.locator('#restrictions-body tr[data-restriction="demand-1"]');
    expect(await row.innerText()).toMatch(/Notice: Unavailable in your region by order of Example Authority\./);
    expect(await row.locator('a[href="https://example.org/appeal"]').count()).toBe(1);
    await shot(annotate, '04-applied-cn');
    // The README's picture: the first screen with the result in view.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(shots, 'readme.png'), clip: { x: 0, y: 0, width: 1280, height: 1560 }, fullPage: true });
  });

  it('refuses an HK demand pasted as JSON in plain words, records the refusal on submit (once), and changes nothing', async ({ annotate }) => {
    const before = demo.gate.participants().length;
    await page.getByLabel('Paste a JSON document').check();
    const doc = {
      id: 'demand-hk',
      kind: 'takedown',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['HK'],
      scope: { meetings: ['meeting-A', 'meeting-C'] },
    };
    await page.getByLabel('Restriction document (JSON)').fill(JSON.stringify(doc, null, 2));
    await page.getByRole('button', { name: 'Preview impact' }).click();
    const preview = page.locator('#preview');
    await expect.poll(() => preview.innerText()).toMatch(/Refused: the authority has no jurisdiction over a region this demand names\. Nothing was done\./);
    const lines = (await preview.innerText()).split('\n');
    // The headline is a sentence; the code and the JSON path are only in the details line.
    expect(lines[0]).not.toMatch(/E_|\$\./);
    expect(lines.find((l) => l.includes('HK'))).not.toMatch(/^\$|E_OUT/);
    expect(lines.find((l) => l.startsWith('Details:'))).toMatch(/^Details: E_OUT_OF_JURISDICTION at \$\.regions\[0\]/);
    expect(await preview.innerText()).toMatch(/Recorded in the audit log as a refused demand/);
    expect(await page.getByRole('button', { name: /Record the refusal/ }).count()).toBe(0);
    await shot(annotate, '05-refused-hk');
    await expect.poll(() => page.locator('#activity').innerText()).toMatch(/Demand demand-hk refused and recorded/);
    // Submitted again: the same document is not a second demand.
    await page.getByRole('button', { name: 'Preview impact' }).click();
    await expect.poll(() => preview.innerText()).toMatch(/refused before: it is on the record once/);
    expect(demo.gate.participants().length).toBe(before);
    expect(demo.gate.restrictions().map((r) => r.id)).toEqual(['demand-1']);
    for (const id of ['guest-A (HK)', 'host-C (HK)', 'guest-B1 (HK)']) expect(demo.clients.get(id)!.received.some((m) => m.type === 'removed')).toBe(false);
  });

  it('shows a capability warning in the preview of a subdivision demand the country database cannot answer; Cancel does nothing', async () => {
    const doc = {
      id: 'demand-xz',
      kind: 'takedown',
      authority: { name: 'Example Authority', jurisdiction: 'CN' },
      regions: ['CN-XZ'],
      scope: { meetings: ['meeting-B'] },
    };
    await page.getByLabel('Restriction document (JSON)').fill(JSON.stringify(doc));
    await page.getByRole('button', { name: 'Preview impact' }).click();
    const preview = page.locator('#preview');
    await expect.poll(() => preview.innerText()).toMatch(/Warning: .*subdivision/i);
    expect(await preview.innerText()).toMatch(/Would remove 0 participants/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Cancelled: nothing was done/);
    expect(demo.gate.restrictions().map((r) => r.id)).toEqual(['demand-1']);
  });

  it('grants an exemption after a preview of whom it lets back in, lists it under its restriction, and revokes it after a preview', async ({ annotate }) => {
    await page.getByRole('button', { name: 'Grant an exemption from demand-1' }).click();
    await page.getByLabel('Exemption id').fill('appeal-1');
    await page.getByLabel('Who').selectOption('participant');
    await page.getByLabel('Ids or networks (comma-separated)').fill('guest-B2 (CN)');
    await page.getByLabel('Reason (recorded)').fill('appeal upheld: travelling, resident in Hong Kong');
    await page.getByRole('button', { name: 'Preview exemption' }).click();
    const panel = page.locator('#exempt-preview');
    await expect.poll(() => panel.innerText()).toMatch(/Would let back in 1 participant recently removed or refused by demand-1/);
    expect(await panel.innerText()).toMatch(/guest-B2 \(CN\) — meeting-B \(removed at \d\d:\d\d:\d\d\)/);
    expect(await panel.innerText()).toMatch(/Preview: nothing has been done yet/);
    expect(demo.gate.exemptions()).toEqual([]);
    await page.locator('#exempt-s').scrollIntoViewIfNeeded();
    await shot(annotate, '06a-exemption-preview');
    await page.getByRole('button', { name: 'Confirm and grant' }).click();
    await expect.poll(() => panel.innerText()).toMatch(/Granted exemption appeal-1/);
    expect(demo.gate.exemptions().map((x) => x.id)).toEqual(['appeal-1']);
    const row = page.locator('#restrictions-body tr[data-restriction="demand-1"]');
    await expect.poll(() => row.innerText()).toMatch(/appeal-1: participant guest-B2 \(CN\) — appeal upheld/);
    await expect.poll(() => page.locator('#activity').innerText()).toMatch(/Exemption appeal-1 granted on demand-1\./);
    await page.getByRole('button', { name: 'Revoke exemption appeal-1' }).click();
    await expect.poll(() => panel.innerText()).toMatch(/revoking exemption appeal-1 — nothing has been done yet/);
    expect(await panel.innerText()).toMatch(/Would remove 0 participants present/);
    expect(demo.gate.exemptions().map((x) => x.id)).toEqual(['appeal-1']);
    await page.getByRole('button', { name: 'Confirm and revoke' }).click();
    await expect.poll(() => panel.innerText()).toMatch(/Revoked exemption appeal-1/);
    expect(demo.gate.exemptions()).toEqual([]);
    await expect.poll(() => row.innerText()).not.toMatch(/appeal-1/);
  });

  it('lifts the restriction', async ({ annotate }) => {
    // Keyboard only: focus the button and press Enter.
    await page.getByRole('button', { name: 'Lift demand-1' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#restrictions-empty').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Lifted demand-1/);
    expect(demo.gate.restrictions()).toEqual([]);
    await expect.poll(() => page.locator('#activity').innerText()).toMatch(/Restriction demand-1 lifted\./);
    await shot(annotate, '06-lifted');
  });

  it('renders the transparency report and the audit log verification', async ({ annotate }) => {
    await page.getByRole('button', { name: 'Refresh report' }).click();
    await expect.poll(() => page.locator('#verification').textContent()).toMatch(/Audit log verified: \d+ events, hash chain intact/);
    const figures = page.locator('#report-summary');
    await expect.poll(() => figures.innerText()).toMatch(/Demands received\s+2/);
    expect(await figures.innerText()).toMatch(/Demands refused\s+1/);
    expect(await figures.innerText()).toMatch(/Participants removed\s+3/);
    expect(await figures.innerText()).toMatch(/Meetings ended by geoadmit\s+0/);
    const frame = page.frameLocator('#report-frame');
    await expect.poll(() => frame.locator('h1').first().textContent()).toMatch(/Transparency report/);
    await page.locator('#report-s').scrollIntoViewIfNeeded();
    await shot(annotate, '07-report');
    expect(problems().filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  });

  it('is readable at 390 px wide', async ({ annotate }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate('window.scrollTo(0, 0)');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    // Meetings stack as cards, each value beside its column name.
    const label = `getComputedStyle(document.querySelector('#meetings-body tr[data-meeting="meeting-A"] td.countries'), '::before').content`;
    expect(await page.evaluate<string>(label)).toBe('"By country"');
    await shot(annotate, '08-phone', false);
    await page.locator('#restrictions-s').scrollIntoViewIfNeeded();
    await shot(annotate, '08b-phone-restrictions', false);
    // Every section fits: nothing wider than the screen, the restriction cards and forms included.
    const wide = await page.evaluate<string[]>(
      `[...document.querySelectorAll('section, table, form, #preview')].filter((e) => e.offsetParent !== null && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => e.id || e.tagName)`,
    );
    expect(wide).toEqual([]);
  });

  it('follows the dark colour scheme', async ({ annotate }) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1280, height: 900 });
    const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(13, 17, 23)');
    await shot(annotate, '09-dark');
  });
});
