import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { buildTransparencyReport, renderReportHtml } from '../../report/index.js';
import { consoleClient } from './client.js';
import { BASE_HEADERS } from './http.js';

/** The page's one script: the compiled client function, called with `window`. */
const CLIENT_SCRIPT = `"use strict";(${consoleClient.toString()})(window);`;

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--mute:#57606a;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--accent:#0b5cad;--ok:#1a7f37;--bad:#b42318;--warn:#8a5a00;--on-accent:#fff;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--mute:#9da7b3;--bg:#0d1117;--panel:#161b22;--line:#30363d;--accent:#58a6ff;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--on-accent:#0d1117}}
*{box-sizing:border-box}body{margin:0;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{font-size:1.15rem;margin:0;flex:1 1 auto}header h1 span{color:var(--mute);font-weight:400}
#status{margin:0;color:var(--mute);font-size:.9rem;flex:1 1 14rem}
main{max-width:80rem;margin:0 auto;padding:1rem;display:grid;gap:1rem;grid-template-columns:minmax(0,1fr)}
@media (min-width:64rem){#app{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem}#app[hidden]{display:none}#meetings-s,#restrictions-s,#report-s{grid-column:1/-1}}
section{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;background:var(--bg);min-width:0}
#app>section{margin-bottom:1rem}@media (min-width:64rem){#app>section{margin-bottom:0}}
h2{font-size:1.05rem;margin:.1rem 0 .6rem}h3{font-size:1rem;margin:.2rem 0 .4rem}h4{font-size:.95rem;margin:.6rem 0 .2rem}
.hint{color:var(--mute);font-size:.875rem;margin:.25rem 0}.live::before{content:"● ";color:var(--ok)}.stale::before{content:"● ";color:var(--warn)}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}thead th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--mute)}
.n{text-align:right;font-variant-numeric:tabular-nums}
label{display:block;font-weight:600;font-size:.9rem;margin:.5rem 0 .15rem}
input,select,textarea{width:100%;font:inherit;padding:.4rem .5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
textarea{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
fieldset{border:0;padding:0;margin:0 0 .25rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem}legend{font-weight:600;font-size:.9rem;padding:0;margin-bottom:.25rem}
fieldset label{display:flex;align-items:center;gap:.35rem;font-weight:400;margin:0}fieldset input{width:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:0 .75rem}
button{font:inherit;font-weight:600;padding:.45rem .9rem;border-radius:6px;border:1px solid var(--line);background:var(--panel);color:var(--fg);cursor:pointer;margin:.6rem .4rem 0 0}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}button.danger{background:var(--bad);border-color:var(--bad);color:var(--on-accent)}
td button{margin:0;padding:.2rem .6rem}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
#preview,.panel{margin-top:1rem;padding:.75rem;border:2px solid var(--accent);border-radius:8px}#preview:focus,.panel:focus{outline:none}
#preview ul,.panel ul{margin:.2rem 0;padding-left:1.2rem}.none{color:var(--mute);margin:.2rem 0}
.details{color:var(--mute);font-family:ui-monospace,monospace;font-size:.8rem;overflow-wrap:anywhere;margin:.4rem 0 0}.detail{color:var(--mute);font-family:ui-monospace,monospace;font-size:.75rem}
.fleet-warning{background:var(--bad);color:var(--on-accent);border-radius:6px;padding:.6rem .8rem;margin:.5rem 0;font-size:1rem}.fleet-warning.banner{margin:0 0 1rem;font-size:1.05rem;font-weight:600}
.fleet-warning p{margin:.15rem 0}.fleet-warning.banner::before{content:"Warning: incomplete fleet view";display:block;font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;opacity:.9}
.recorded{font-weight:600}.notice{margin:.1rem 0;font-size:.85rem}.exemption{margin:.1rem 0;font-size:.85rem}.exemption button{margin:0 0 0 .25rem;padding:.1rem .5rem;font-size:.8rem}
#exempt-s{grid-column:1/-1}.actions-cell button{margin:.1rem .2rem .1rem 0}
.refusal{border-left:4px solid var(--bad);padding-left:.75rem}.refusal h3{color:var(--bad)}.code{font-family:ui-monospace,monospace;font-size:.9rem;overflow-wrap:anywhere}
.warning{color:var(--warn);font-weight:600}.undisturbed{color:var(--ok)}.ok{color:var(--ok);font-weight:600}.error{color:var(--bad);font-weight:600}
#activity{list-style:none;margin:0;padding:0;max-height:22rem;overflow:auto;font-size:.85rem}
#activity li{padding:.2rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}#activity time{color:var(--mute);font-variant-numeric:tabular-nums}
#activity .removal,#activity .restriction-refused{color:var(--bad)}#activity .restriction-accepted{color:var(--accent)}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.5rem;margin:.5rem 0}
@media (max-width:40rem){main{padding:.5rem}section{padding:.6rem .7rem}#meetings thead{display:none}#meetings tr{display:block;padding:.35rem 0;border-bottom:1px solid var(--line)}
#meetings th{display:block;border:0;padding:.1rem .25rem}#meetings td{display:flex;gap:.5rem;border:0;padding:.05rem .25rem;text-align:left}#meetings td::before{content:attr(data-label);flex:0 0 7rem;color:var(--mute);font-size:.85rem}
#restrictions thead{display:none}#restrictions tr{display:block;padding:.35rem 0;border-bottom:1px solid var(--line)}#restrictions th{display:block;border:0;padding:.1rem .25rem}
#restrictions td{display:flex;flex-wrap:wrap;gap:0 .5rem;border:0;padding:.05rem .25rem}#restrictions td::before{content:attr(data-label);flex:0 0 6.5rem;color:var(--mute);font-size:.85rem}
#restrictions td>*{flex:1 1 12rem;min-width:0}#restrictions td.actions-cell>button{flex:0 0 auto}}
.figures div{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.4rem .6rem}
.figures dt{font-size:.8rem;color:var(--mute)}.figures dd{margin:0;font-size:1.3rem;font-weight:700;font-variant-numeric:tabular-nums}
#report-frame{width:100%;height:32rem;border:1px solid var(--line);border-radius:6px;background:#fff}
#signin{max-width:28rem}a{color:var(--accent)}
`;

/** The page's body; `{{BASE}}` is replaced per request by the base path as the browser sees it. */
function body(hasReport: boolean): string {
  return `<body data-base="{{BASE}}" data-report="${hasReport ? '1' : '0'}">
<header>
<h1>geoadmit <span>operator console</span></h1>
<p id="status" role="status" aria-live="polite"></p>
<button id="signout" type="button" hidden>Sign out</button>
</header>
<main>
<div id="fleet-warning" class="fleet-warning banner" role="alert" hidden></div>
<noscript><p class="error">The console needs JavaScript (its one script is part of this page; nothing is loaded from elsewhere).</p></noscript>
<section id="signin" aria-labelledby="signin-h">
<h2 id="signin-h">Sign in</h2>
<form id="signin-form">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit" class="primary">Sign in</button>
<p id="signin-error" class="error" role="alert"></p>
<p class="hint">The token is kept for this browser tab only and sent with each request, never in a URL.</p>
</form>
</section>
<div id="app" hidden>
<section id="meetings-s" aria-labelledby="meetings-h">
<h2 id="meetings-h">Live meetings</h2>
<p id="live" class="hint">Connecting to live updates…</p>
<p id="fleet" class="hint"></p>
<div class="scroll"><table id="meetings">
<thead><tr id="meetings-head"><th scope="col">Meeting</th><th scope="col">Host accounts</th><th scope="col" class="n">Present</th><th scope="col">By country</th><th scope="col">By region</th><th scope="col">Nodes</th></tr></thead>
<tbody id="meetings-body"></tbody>
</table></div>
<p id="meetings-empty" class="hint">No meeting has participants right now.</p>
<p class="hint">Counts only: no addresses and no participant identities are shown here.</p>
</section>
<section id="demand-s" aria-labelledby="demand-h">
<h2 id="demand-h">New demand</h2>
<form id="demand-form" novalidate>
<fieldset><legend>Enter the demand</legend>
<label><input type="radio" name="entry" id="entry-form-radio" value="form" checked> Fill in the form</label>
<label><input type="radio" name="entry" id="entry-json-radio" value="json"> Paste a JSON document</label>
</fieldset>
<div id="entry-form">
<div class="grid">
<div><label for="f-id">Restriction id</label><input id="f-id" autocomplete="off" placeholder="e.g. demand-2020-06-04"></div>
<div><label for="f-kind">Kind</label><select id="f-kind"><option value="takedown">takedown (authority demand)</option><option value="sanctions">sanctions</option><option value="host-policy">host policy</option></select></div>
<div><label for="f-authority">Authority name</label><input id="f-authority" autocomplete="off" placeholder="e.g. Example Authority"></div>
<div><label for="f-jurisdiction">Authority jurisdiction</label><input id="f-jurisdiction" autocomplete="off" placeholder="e.g. CN"></div>
<div><label for="f-regions">Regions (ISO codes, comma-separated)</label><input id="f-regions" autocomplete="off" placeholder="e.g. CN, CN-XZ"></div>
<div><label for="f-mode">Mode</label><select id="f-mode"><option value="enforce">enforce</option><option value="dry-run">report only (acts on nobody)</option></select></div>
<div><label for="f-meetings">Scope: meetings</label><input id="f-meetings" autocomplete="off" placeholder="e.g. meeting-A, meeting-B"></div>
<div><label for="f-hosts">Scope: host accounts</label><input id="f-hosts" autocomplete="off" placeholder="e.g. acct-42"></div>
<div><label for="f-from">Valid from (UTC, optional)</label><input id="f-from" type="datetime-local"></div>
<div><label for="f-until">Valid until (UTC, optional)</label><input id="f-until" type="datetime-local"></div>
<div><label for="f-reference">Reference (optional)</label><input id="f-reference" autocomplete="off" placeholder="e.g. letter 2020-117"></div>
<div><label for="f-notice">Notice to the people affected (optional)</label><input id="f-notice" autocomplete="off" maxlength="500" placeholder="e.g. Unavailable in your region by order of …"></div>
<div><label for="f-notice-url">Notice link, https (optional)</label><input id="f-notice-url" type="url" autocomplete="off" placeholder="https://example.org/notices/2020-117"></div>
<div><label for="f-appeal-url">How to appeal, https link (optional)</label><input id="f-appeal-url" type="url" autocomplete="off" placeholder="https://example.org/appeal"></div>
</div>
</div>
<div id="entry-json" hidden>
<label for="f-json">Restriction document (JSON)</label>
<textarea id="f-json" rows="14" spellcheck="false"></textarea>
</div>
<button type="submit" class="primary">Preview impact</button>
<p class="hint">Nothing is applied until you confirm the preview. A demand geoadmit must refuse is recorded as refused when you submit it (once, however often it is submitted).</p>
</form>
<div id="preview" tabindex="-1" aria-live="polite" hidden></div>
</section>
<section id="activity-s" aria-labelledby="activity-h">
<h2 id="activity-h">Activity</h2>
<p class="hint">Decisions, removals and restriction events as they happen (addresses withheld).</p>
<ol id="activity"></ol>
</section>
<section id="restrictions-s" aria-labelledby="restrictions-h">
<h2 id="restrictions-h">Restrictions</h2>
<div class="scroll"><table id="restrictions">
<thead><tr><th scope="col">Id</th><th scope="col">Kind</th><th scope="col">Authority</th><th scope="col">Regions</th><th scope="col">Scope</th><th scope="col">Mode</th><th scope="col">Window</th><th scope="col">Notice</th><th scope="col">Exemptions</th><th scope="col"><span>Action</span></th></tr></thead>
<tbody id="restrictions-body"></tbody>
</table></div>
<p id="restrictions-empty" class="hint">No restriction is registered.</p>
</section>
<section id="exempt-s" aria-labelledby="exempt-h">
<h2 id="exempt-h">Grant an exemption</h2>
<p class="hint">After an appeal: a participant shown to be elsewhere, a host account or a licensed network that one restriction should not cover. It never lifts another restriction.</p>
<p id="exempt-none" class="hint" hidden></p>
<form id="exempt-form" novalidate hidden>
<div class="grid">
<div><label for="x-restriction">From restriction</label><select id="x-restriction"></select></div>
<div><label for="x-id">Exemption id</label><input id="x-id" autocomplete="off" placeholder="e.g. appeal-2020-031"></div>
<div><label for="x-kind">Who</label><select id="x-kind"><option value="participant">participants</option><option value="host">host accounts</option><option value="network">networks (CIDR)</option></select></div>
<div><label for="x-values">Ids or networks (comma-separated)</label><input id="x-values" autocomplete="off" placeholder="e.g. guest-B2, or 203.0.113.0/24"></div>
<div><label for="x-reason">Reason (recorded)</label><input id="x-reason" autocomplete="off" placeholder="e.g. appeal upheld: travelling, not resident"></div>
<div><label for="x-until">Valid until (UTC, optional)</label><input id="x-until" type="datetime-local"></div>
</div>
<button type="submit" class="primary">Preview exemption</button>
<p class="hint">Nothing is granted until you confirm the preview.</p>
</form>
<div id="exempt-preview" class="panel" tabindex="-1" aria-live="polite" hidden></div>
</section>
<section id="report-s" aria-labelledby="report-h">
<h2 id="report-h">Audit log and transparency report</h2>
<p id="verification">Loading…</p>
<div id="report-summary"></div>
<button id="report-refresh" type="button">Refresh report</button>
<a id="report-download" download="transparency-report.html" hidden>Download the HTML report</a>
<iframe id="report-frame" title="Transparency report" sandbox="" hidden></iframe>
</section>
</div>
</main>
</body>`;
}

function escapeAttr(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * Serves the console page: one document with its style and script inline,
 * each allowed by its SHA-256 in a Content-Security-Policy that allows
 * nothing else (no other origin, no inline handlers, no framing). The
 * transparency report is shown in a sandboxed `srcdoc` frame, which inherits
 * this policy, so the report's own stylesheet is allowed by its hash too.
 */
export class ConsolePage {
  readonly #html: string;
  readonly #hasReport: boolean;
  #csp: Promise<string> | undefined;

  constructor(hasReport: boolean) {
    this.#hasReport = hasReport;
    this.#html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>geoadmit operator console</title>
<style>${STYLE}</style>
</head>
${body(hasReport)}
<script>${CLIENT_SCRIPT}</script>
</html>
`;
  }

  /** The page's Content-Security-Policy. */
  csp(): Promise<string> {
    this.#csp ??= (async () => {
      const styles = [hash(STYLE)];
      if (this.#hasReport) {
        // The report renderer's stylesheet is a constant: take it from an empty report.
        const sample = renderReportHtml(await buildTransparencyReport([]));
        const style = /<style>([\s\S]*?)<\/style>/.exec(sample)?.[1];
        if (style !== undefined) styles.push(hash(style));
      }
      return [
        "default-src 'none'",
        `script-src ${hash(CLIENT_SCRIPT)}`,
        `style-src ${styles.join(' ')}`,
        "connect-src 'self'",
        'img-src data:',
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; ');
    })();
    return this.#csp;
  }

  /** Answer with the page; `base` is where the browser reaches the console (e.g. `/console/`). */
  async serve(res: ServerResponse, headOnly: boolean, base: string): Promise<void> {
    const csp = await this.csp();
    // The base sits in a data attribute, outside the hashed script and style.
    const html = this.#html.replace('{{BASE}}', escapeAttr(base));
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(html)),
      'content-security-policy': csp,
    });
    res.end(headOnly ? undefined : html);
  }

  /** Headers of the HTML report (`api/report?format=html`): its own strict policy, sandboxed. */
  reportHeaders(): Record<string, string> {
    return {
      ...BASE_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'",
    };
  }
}
