import { describe, expect, it } from 'vitest';
import type { AuditEvent } from 'geoadmit/audit';
import { buildTransparencyReport, renderReportHtml, renderReportJson, renderReportMarkdown } from 'geoadmit/report';
import type { TransparencyReport } from 'geoadmit/report';
import { accepted, denied, scenario } from './fixtures/audit/scenario.js';

const HOSTILE = '<script>alert(1)</script> | **x** [a](javascript:alert(1)) \n# H';

async function setup(extra: AuditEvent[] = []) {
  const report = await buildTransparencyReport([...scenario(), ...extra], { generatedAt: '2024-07-01T00:00:00Z' });
  return { report, md: renderReportMarkdown(report), html: renderReportHtml(report), json: renderReportJson(report) };
}

/** The figure cells of the Markdown table row whose first cell is `name`. */
function mdRow(md: string, name: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${name} |`));
  return (line ?? '')
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

/** The cells of the HTML table row whose header cell is `name`. */
function htmlRow(html: string, name: string): string[] {
  const line = html.split('\n').find((l) => l.startsWith(`<tr><th scope="row" data-label="Issuer">${name}</th>`));
  return [...(line ?? '').matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((m) => m[1] ?? '');
}

describe('transparency report rendering', () => {
  it('shows the same figures in Markdown, HTML and JSON', async () => {
    const { report, md, html, json } = await setup();
    expect(JSON.parse(json)).toEqual(report);
    const mps = report.governmentDemands.byAuthority.find((a) => a.authority === 'Ministry of Public Security');
    const t = mps?.total;
    const expected = [
      'Ministry of Public Security',
      'CN',
      t?.restrictionsReceived,
      t?.restrictionsAccepted,
      t?.restrictionsRefused,
      '33%',
      t?.participantsRemoved,
      t?.meetingsAffected,
    ].map(String);
    expect(mdRow(md, 'Ministry of Public Security')).toEqual(expected);
    expect(htmlRow(html, 'Ministry of Public Security')).toEqual(expected);
    expect(expected.slice(2)).toEqual(['3', '1', '2', '33%', '1', '2']);
    // The other figures: people kept out, tests, lifted, reached but undisturbed.
    expect(mdRow(md, 'Ministry of Public Security (CN)')).toEqual(['Ministry of Public Security (CN)', '3', '0', '0', '1', '1']);
    for (const out of [md, html]) {
      expect(out).toContain('Meetings ended');
      expect(out).toContain('0 (none)');
      expect(out).toContain('2 × it reached beyond the issuer’s own jurisdiction');
    }
    // Sanctions and host policies have their own sections.
    expect(md).toMatch(/## Government demands[\s\S]*## Sanctions[\s\S]*## Host policies/);
  });

  it('HTML is one self-contained, phone-friendly page with a chart per measure and a monthly trend', async () => {
    const { report, html } = await setup();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toMatch(/@media \(max-width:/);
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    // Four measures per category with issuers, each on its own scale; government demands span May and June: two trend charts.
    const categories = [report.governmentDemands, report.sanctions, report.hostPolicies].filter((c) => c.byAuthority.length > 0);
    expect(html.match(/<svg /g)).toHaveLength(categories.length * 4 + 2);
    const captions = [...html.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1]);
    expect(captions.slice(0, 6)).toEqual([
      'Demands received',
      'People kept out of meetings',
      'People removed from meetings',
      'Meetings affected',
      'Demands received per month',
      'People kept out of meetings per month',
    ]);
    expect(html).toMatch(/<text x="0" y="0" class="l">May 2024<\/text>[\s\S]*June 2024/);
  });

  it('reads as plain language: human dates with the ISO time in a tooltip, sentences instead of jargon', async () => {
    const { md, html } = await setup();
    expect(html).toContain('<time datetime="2024-07-01T00:00:00.000Z" title="2024-07-01T00:00:00.000Z">1 July 2024, 00:00 UTC</time>');
    expect(md).toContain('Generated 1 July 2024, 00:00 UTC.');
    expect(md).not.toMatch(/Meetings named in scope/);
    expect(md).toMatch(/Its orders named 3 meetings; in \d+ of them nobody was kept out or removed\./);
    expect(md).toMatch(/2 issuers sent 4 demands\. 2 were accepted \(1 only as a test: reported, never enforced\) and 2 refused\./);
    expect(md).toMatch(/2 refusals were because the demands reached beyond the issuer’s own jurisdiction: nothing was done\./);
    // Column heads wrap rather than push a table wider than the screen.
    expect(html).not.toMatch(/thead th\{[^}]*nowrap/);
  });

  it('escapes hostile strings from the log: a <script> authority renders inert', async () => {
    const { report, md, html } = await setup([
      accepted('2024-06-10T00:00:00Z', 'evil', { name: HOSTILE, jurisdiction: '"><img src=x onerror=alert(1)>' }),
      denied('2024-06-10T00:00:01Z', 'm-1', 'p', ['evil']),
      { type: 'restriction.refused', time: '2024-06-10T00:00:02Z', code: '<b>E</b>', reason: '</li><script>x()</script>' },
    ]);
    expect(report.governmentDemands.byAuthority.some((a) => a.authority === HOSTILE)).toBe(true);
    expect(html).not.toMatch(/<script|<img|<b>|onerror=alert\(1\)>/i);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    // In Markdown: no raw HTML, no table-breaking pipes or newlines, no live links.
    expect(md).not.toMatch(/<script|<img|<b>/);
    const row = md.split('\n').find((l) => l.includes('alert(1)&lt;/script&gt;'));
    expect(row).toBeDefined();
    expect(row).toContain('\\|');
    expect(row).toContain('\\[a\\](javascript'); // brackets escaped: no link
    expect(md).not.toMatch(/^# H/m);
  });

  it('marks estimated meeting counts', async () => {
    const events: AuditEvent[] = [accepted('2024-01-01T00:00:00Z', 'r', { name: 'A', jurisdiction: 'CN' })];
    for (let i = 0; i < 50; i++) events.push(denied('2024-01-02T00:00:00Z', `m-${i}`, `p-${i}`, ['r']));
    const report: TransparencyReport = await buildTransparencyReport(events, { exactLimit: 10 });
    const total = report.governmentDemands.total;
    expect(total.meetingsAffectedEstimated).toBe(true);
    expect(Math.abs(total.meetingsAffected - 50)).toBeLessThanOrEqual(2);
    expect(total.scopedMeetingsUndisturbed).toBeNull();
    expect(renderReportMarkdown(report)).toContain(`~${total.meetingsAffected}`);
  });
});
