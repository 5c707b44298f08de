import type { TransparencyReport } from './types.js';
import { type Block, humanDate, reportBlocks } from './internal/document.js';

// Log text is hostile: control characters and line breaks become spaces so a
// value cannot start a new Markdown block or table row.
function flatten(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/** Escape text for Markdown (GitHub flavour): markup characters and raw HTML. */
function md(text: string): string {
  return (
    flatten(text)
      .replace(/[\\`*[\]|#~]/g, (c) => `\\${c}`)
      // An underscore inside a word never starts emphasis; escaping only the others keeps codes like E_AUDIT_IO readable.
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
  );
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The report's own method text: `code` spans become <code>. */
function htmlWithCode(text: string): string {
  return html(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function markdownBlock(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `${'#'.repeat(block.level)} ${md(block.text)}`;
    case 'paragraph':
      return md(block.text);
    case 'dated':
      return md(block.parts.map((part) => (typeof part === 'string' ? part : humanDate(part.iso))).join(''));
    case 'list':
      return block.items.map((item) => `- ${md(item)}`).join('\n');
    case 'method':
      return block.items.map((item) => `- ${flatten(item)}`).join('\n');
    case 'chart':
      return '';
    case 'command': {
      // A fence longer than any backtick run in the text, so a file name cannot end it.
      const fence = '`'.repeat(Math.max(3, ...Array.from(block.text.matchAll(/`+/g), (m) => m[0].length + 1)));
      return `${fence}sh\n${block.text.split('\n').map(flatten).join('\n')}\n${fence}`;
    }
    case 'table': {
      const row = (cells: string[]) => `| ${cells.map((c) => md(c)).join(' | ')} |`;
      const rule = `| ${block.numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`;
      return [row(block.head), rule, ...block.rows.map(row)].join('\n');
    }
  }
}

/**
 * Render a report as Markdown (GitHub flavour): headings and tables that
 * read well on a code host. Every string from the log is escaped.
 */
export function renderReportMarkdown(report: TransparencyReport): string {
  return `${reportBlocks(report)
    .map(markdownBlock)
    .filter((text) => text !== '')
    .join('\n\n')}\n`;
}

/** Render a report as indented JSON (the {@link TransparencyReport} object as is). */
export function renderReportJson(report: TransparencyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const BAR_ROW = 28;
const LABEL_WIDTH = 190;
const CHART_WIDTH = 440;

/** Labels longer than the label column are shortened; the whole label is in a tooltip. */
function label(text: string): string {
  const short = text.length > 22 ? `${text.slice(0, 21)}\u2026` : text;
  return `<text x="0" y="0" class="l">${short === text ? '' : `<title>${html(text)}</title>`}${html(short)}</text>`;
}

/** One measure, on its own scale: a horizontal bar per label, the value beside it. */
function chartSvg(title: string, bars: { label: string; value: number }[]): string {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const room = CHART_WIDTH - LABEL_WIDTH - 70;
  const height = bars.length * BAR_ROW + 8;
  const rows = bars.map((b, i) => {
    const y = i * BAR_ROW + 4;
    const w = b.value === 0 ? 0 : Math.max(2, Math.round((b.value / max) * room));
    return (
      `<g transform="translate(0 ${y + 15})">${label(b.label)}</g>` +
      `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${w}" height="16" rx="2" fill="#3b6ea8"></rect>` +
      `<text x="${LABEL_WIDTH + w + 6}" y="${y + 15}" class="v">${b.value}</text>`
    );
  });
  return (
    `<figure class="chart"><figcaption>${html(title)}</figcaption><svg role="img" aria-label="${html(title)}" viewBox="0 0 ${CHART_WIDTH} ${height}" ` +
    `xmlns="http://www.w3.org/2000/svg"><title>${html(title)}</title>${rows.join('')}</svg></figure>`
  );
}

function htmlBlock(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `<h${block.level}>${html(block.text)}</h${block.level}>`;
    case 'paragraph':
      return `<p>${html(block.text)}</p>`;
    case 'dated':
      return `<p>${block.parts
        .map((part) =>
          typeof part === 'string' ? html(part) : `<time datetime="${html(part.iso)}" title="${html(part.iso)}">${html(humanDate(part.iso))}</time>`,
        )
        .join('')}</p>`;
    case 'list':
      return `<ul>${block.items.map((item) => `<li>${html(item)}</li>`).join('')}</ul>`;
    case 'method':
      return `<ul class="method">${block.items.map((item) => `<li>${htmlWithCode(item)}</li>`).join('')}</ul>`;
    case 'chart':
      return chartSvg(block.title, block.bars);
    case 'command':
      return `<pre class="command"><code>${html(block.text)}</code></pre>`;
    case 'table': {
      const cls = (i: number): string => {
        const classes = [block.numeric[i] ? 'n' : '', block.code?.[i] === true ? 'h' : ''].filter((c) => c !== '');
        return classes.length === 0 ? '' : ` class="${classes.join(' ')}"`;
      };
      // Each cell carries its column's name: on a narrow screen a row becomes a card of "name: value" lines.
      // A row starting with a figure has no name to head its card: every cell is then a labelled line.
      const label = (i: number): string => ` data-label="${html(block.head[i] ?? '')}"`;
      const head = block.head.map((h, i) => `<th scope="col"${cls(i)}>${html(h)}</th>`).join('');
      const rows = block.rows
        .map(
          (r) =>
            `<tr>${r.map((c, i) => (i === 0 && block.numeric[0] !== true ? `<th scope="row"${label(i)}>${html(c)}</th>` : `<td${cls(i)}${label(i)}>${html(c)}</td>`)).join('')}</tr>`,
        )
        .join('\n');
      const stack = block.head.length > 2 ? ' class="stack"' : '';
      return `<div class="table"><table${stack}><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
    }
  }
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1d232b;--bg:#fff;--mute:#5b6570;--line:#d8dde3;--head:#f3f5f7}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ec;--bg:#15191d;--mute:#9aa4ae;--line:#34393f;--head:#1f2429}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid var(--line)}h3{font-size:1.1rem;margin-top:1.5rem}
.table{margin:.5rem 0;max-width:100%}
table{border-collapse:collapse;font-size:.9rem;width:100%}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--head);vertical-align:bottom;hyphens:auto}
td.n{white-space:nowrap}
td.h{word-break:break-all;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.8rem}
time{text-decoration:underline dotted;cursor:help}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,22rem),1fr));gap:.5rem 1.5rem}
.chart figcaption{font-weight:600;font-size:.95rem}
pre.command{white-space:pre-wrap;word-break:break-all;background:var(--head);padding:.5rem;border-radius:4px}
p,li{max-width:48rem;overflow-wrap:anywhere}
.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{margin:.5rem 0;min-width:0}.chart svg{width:100%;height:auto}
.chart .l{font-size:15px;fill:var(--fg)}.chart .v{font-size:15px;fill:var(--mute)}
code{font-size:.9em}
@media (max-width:48rem){
body{padding:.6rem;font-size:15px}
table.stack,table.stack tbody,table.stack tr,table.stack th,table.stack td{display:block;width:100%}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
table.stack tr{border:1px solid var(--line);border-radius:4px;margin:0 0 .6rem}
table.stack th[scope=row]{background:var(--head);border:0}
table.stack td{border:0;border-top:1px solid var(--line);display:flex;justify-content:space-between;gap:1rem;text-align:right;white-space:normal}
table.stack td::before{content:attr(data-label);text-align:left;color:var(--mute)}
table.stack td.h{display:block;text-align:left}table.stack td.h::before{display:block;font-family:system-ui,sans-serif}
}
`;

/**
 * Render a report as one self-contained HTML page: no scripts, fonts,
 * styles or images from elsewhere (a Content-Security-Policy forbids them),
 * an inline SVG bar chart per measure, and the tables — every one readable
 * without sideways scrolling from a phone (each row becomes a card of
 * "column: value" lines) to a desktop screen. Every string from the log is escaped.
 */
export function renderReportHtml(report: TransparencyReport): string {
  const parts: string[] = [];
  let charts: string[] = [];
  // Consecutive charts sit side by side where the screen is wide enough.
  const endCharts = (): void => {
    if (charts.length > 0) parts.push(`<div class="charts">${charts.join('')}</div>`);
    charts = [];
  };
  for (const block of reportBlocks(report)) {
    if (block.kind === 'chart') charts.push(htmlBlock(block));
    else {
      endCharts();
      parts.push(htmlBlock(block));
    }
  }
  endCharts();
  const body = parts.join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Transparency report</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
