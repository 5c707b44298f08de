/**
 * The HTML transparency report as a reader sees it: rendered by headless
 * Chromium (playwright-core) at desktop and phone widths. Screenshots go to
 * test-output/report/ (git-ignored).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonlAuditSink, generateAuditSigningKeys } from 'geoadmit/audit';
import { buildTransparencyReport, renderReportHtml } from 'geoadmit/report';
import { scenario } from './fixtures/audit/scenario.js';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { makeTempDir } from './helpers/temp-dir.js';

const available = chromiumAvailable('report-browser');

const shots = fileURLToPath(new URL('../test-output/report/', import.meta.url));

/** What the page measures of itself. */
interface Layout {
  scrollWidth: number;
  clientWidth: number;
  /** Tables that scroll sideways inside their box, or reach past the screen's edge. */
  wideTables: { caption: string; scrollWidth: number; clientWidth: number; right: number }[];
  /** The first table's "Participants removed" figures: where they are and what they say. */
  removed: { text: string; left: number; right: number; visible: boolean }[];
  tables: number;
  overflowing: string[];
  commitment: number | undefined;
  times: { text: string; title: string }[];
  charts: number;
}

describe.skipIf(!available)('the HTML transparency report in a real browser', () => {
  let browser: BrowserContext;
  let dir: string;
  let page: string;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    dir = makeTempDir('geoadmit-report-browser-').dir;
    // A signed log of the shared scenario (May and June), checked with its key, and a second node's
    // log signed with a key not given: the Commitment section shows one "signed, checked", one "not checked".
    const keys = generateAuditSigningKeys();
    const log = join(dir, 'audit.jsonl');
    const sink = createJsonlAuditSink(log, { fsync: 'never', signingKey: keys.privateKey });
    for (const event of scenario()) sink.write(event);
    await sink.close();
    const other = join(dir, 'node-b.jsonl');
    const sinkB = createJsonlAuditSink(other, { fsync: 'never', signingKey: generateAuditSigningKeys().privateKey });
    for (const event of scenario().slice(0, 3)) sinkB.write(event);
    await sinkB.close();
    const report = await buildTransparencyReport(
      [
        { path: log, publicKey: keys.publicKey, publicKeyFile: 'audit-signing.pub' },
        { path: other, name: 'node-b (Frankfurt)' },
      ],
      { generatedAt: '2024-07-01T00:00:00Z' },
    );
    page = join(dir, 'report.html');
    writeFileSync(page, renderReportHtml(report));
    browser = await launchChromium(join(dir, 'profile'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, viewport] of [
    ['desktop', { width: 1280, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    it(`${name}: no table scrolls sideways, the first table's key figures on screen, dates readable, the Commitment section visible with each log's key`, async ({
      annotate,
    }) => {
      const tab = await browser.newPage();
      await tab.setViewportSize(viewport);
      const problems: string[] = [];
      tab.on('pageerror', (e) => problems.push(e.message));
      tab.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      await tab.goto(pathToFileURL(page).href);
      const shot = join(shots, `report-${name}.png`);
      await tab.screenshot({ path: shot, fullPage: true });
      await annotate(`screenshot: ${shot}`, 'screenshot');

      // A string expression: this file is type-checked without the DOM library.
      const layout = await tab.evaluate<Layout>(`(() => {
        const doc = document.documentElement;
        // Every table: nothing scrolls sideways inside its box, nothing reaches past the screen.
        const wideTables = [...document.querySelectorAll('div.table')]
          .map((box) => ({
            caption: (box.previousElementSibling?.textContent ?? '').slice(0, 60),
            scrollWidth: box.scrollWidth,
            clientWidth: box.clientWidth,
            right: Math.max(...[...box.querySelectorAll('th,td')].map((c) => c.getBoundingClientRect().right)),
          }))
          .filter((t) => t.scrollWidth > t.clientWidth + 1 || t.right > doc.clientWidth + 1);
        // The first table's key figure a reader looks for: participants removed, per jurisdiction.
        const first = document.querySelector('div.table table');
        const removed = [...(first?.querySelectorAll('td[data-label="Participants removed"]') ?? [])].map((td) => {
          const r = td.getBoundingClientRect();
          return { text: td.textContent ?? '', left: r.left, right: r.right, visible: r.width > 0 && r.height > 0 };
        });
        const commitment = [...document.querySelectorAll('h2')].find((h) => h.textContent === 'Commitment');
        const times = [...document.querySelectorAll('time')].map((t) => ({ text: t.textContent ?? '', title: t.getAttribute('title') ?? '' }));
        // Wide tables scroll inside their own box; the page itself never scrolls sideways.
        const overflowing = [...document.body.querySelectorAll('body > *')]
          .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1)
          .map((el) => el.tagName);
        return {
          scrollWidth: doc.scrollWidth,
          clientWidth: doc.clientWidth,
          wideTables,
          removed,
          tables: document.querySelectorAll('div.table').length,
          overflowing,
          commitment: commitment === undefined ? undefined : commitment.getBoundingClientRect().height,
          times,
          charts: document.querySelectorAll('figure.chart svg').length,
        };
      })()`);
      expect(problems).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
      expect(layout.overflowing).toEqual([]);
      expect(layout.tables).toBeGreaterThan(10);
      expect(layout.wideTables).toEqual([]);
      // CN and the "All" row: each figure on screen, not behind a scroll.
      expect(layout.removed.map((r) => r.text)).toEqual(['1', '1']);
      for (const r of layout.removed) {
        expect(r.visible).toBe(true);
        expect(r.left).toBeGreaterThanOrEqual(0);
        expect(r.right).toBeLessThanOrEqual(viewport.width);
      }
      expect(layout.times[0]).toEqual({ text: '1 July 2024, 00:00 UTC', title: '2024-07-01T00:00:00.000Z' });
      // The span is the events' own times, not when the log wrote its own records.
      expect(layout.times.slice(1).map((t) => t.text)).toEqual(['30 May 2024, 10:00 UTC', '6 June 2024, 00:00 UTC']);
      expect(layout.charts).toBeGreaterThanOrEqual(4);

      // The Commitment section is there and can be scrolled to and read: the head and the command.
      expect(layout.commitment).toBeGreaterThan(0);
      const section = tab.locator('h2', { hasText: 'Commitment' });
      await section.scrollIntoViewIfNeeded();
      await expect(section.isVisible()).resolves.toBe(true);
      const command = tab.locator('pre.command');
      await expect(command.isVisible()).resolves.toBe(true);
      const text = (await command.textContent()) ?? '';
      // One line per log, each with that log's key.
      const lines = text.split('\n');
      expect(lines[0]).toMatch(/^geoadmit audit verify audit\.jsonl --public-key audit-signing\.pub --expect-head \d+:[0-9a-f]{64}$/);
      expect(lines[1]).toMatch(/^geoadmit audit verify 'node-b \(Frankfurt\)' --public-key PUBLIC-KEY\.pub --expect-head \d+:[0-9a-f]{64}$/);
      await expect(tab.locator('td', { hasText: 'not checked' }).count()).resolves.toBeGreaterThan(0);
      const box = await command.boundingBox();
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(viewport.width);
      await tab.close();
    });
  }
});
