import type { ClientElement, ClientResponse, ClientWindow } from './dom.js';

/**
 * The console page's script. It runs in the browser: the server embeds its
 * compiled source (`consoleClient.toString()`) as the page's one inline
 * script, allowed by its hash in the Content-Security-Policy. So this
 * function must be self-contained — it may use only its parameter and the
 * language, never a binding from this module or an import (types are
 * erased, so `import type` is fine). A test checks the embedded source.
 *
 * Everything it shows is written with `textContent` (never `innerHTML`), so
 * values from documents and the audit log cannot inject markup.
 */
export function consoleClient(win: ClientWindow): void {
  const doc = win.document;
  const base = doc.body.dataset.base ?? '/';
  const hasReport = doc.body.dataset.report === '1';
  const TOKEN_KEY = 'geoadmit-console-token';

  const el = (id: string): ClientElement => {
    const found = doc.getElementById(id);
    if (found === null) throw new Error(`missing #${id}`);
    return found;
  };
  const make = (tag: string, text?: string, className?: string): ClientElement => {
    const node = doc.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className !== undefined) node.className = className;
    return node;
  };
  const status = el('status');
  const say = (text: string): void => {
    status.textContent = text;
  };

  type Json = Record<string, unknown>;
  interface Answer {
    status: number;
    json: Json;
  }
  const str = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));
  const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const obj = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});

  // ------------------------------------------------------------------ API
  let token = win.sessionStorage.getItem(TOKEN_KEY) ?? '';
  let stream: { abort(): void } | undefined;

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    const init: { method: string; headers: Record<string, string>; body?: string; cache: string } = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res: ClientResponse = await win.fetch(base + path, init);
    let json: Json = {};
    try {
      json = obj(await res.json());
    } catch {
      json = { error: 'bad-answer', message: `the server answered ${res.status} without JSON` };
    }
    if (res.status === 401) signOut('The token was not accepted. Sign in again.');
    return { status: res.status, json };
  }

  const refusal = (answer: Answer): string => {
    const path = str(answer.json.path);
    const message = str(answer.json.message);
    return `${str(answer.json.error) || answer.status}: ${message}${path && !message.includes(path) ? ` (at ${path})` : ''}`;
  };

  // ------------------------------------------------------------------ sign in / out
  function signOut(message: string): void {
    token = '';
    win.sessionStorage.removeItem(TOKEN_KEY);
    stream?.abort();
    stream = undefined;
    el('app').hidden = true;
    el('signout').hidden = true;
    el('signin').hidden = false;
    el('signin-error').textContent = message;
    el('token').focus();
  }

  async function signIn(candidate: string): Promise<void> {
    token = candidate;
    const answer = await call('GET', 'api/overview');
    if (answer.status !== 200) {
      if (answer.status !== 401) signOut(`Sign-in failed: ${refusal(answer)}`);
      return;
    }
    win.sessionStorage.setItem(TOKEN_KEY, token);
    el('signin').hidden = true;
    el('app').hidden = false;
    el('signout').hidden = false;
    el('token').value = '';
    el('signin-error').textContent = '';
    showMeetings(arr(answer.json.meetings));
    say('Signed in.');
    void loadRestrictions();
    void loadReport();
    listen();
  }

  el('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = el('token').value.trim();
    if (value === '') return void (el('signin-error').textContent = 'Enter the access token.');
    void signIn(value);
  });
  el('signout').addEventListener('click', () => signOut('Signed out.'));

  // ------------------------------------------------------------------ live meetings
  const counts = (value: unknown): string => {
    const entries = Object.entries(obj(value)).sort((a, b) => Number(b[1]) - Number(a[1]) || a[0].localeCompare(b[0]));
    return entries.length === 0 ? '—' : entries.map(([code, n]) => `${code} ${str(n)}`).join(' · ');
  };

  function showMeetings(meetings: unknown[]): void {
    const rows = meetings
      .map(obj)
      .sort((a, b) => str(a.meetingId).localeCompare(str(b.meetingId)))
      .map((m) => {
        const tr = make('tr');
        tr.dataset.meeting = str(m.meetingId);
        const th = make('th', str(m.meetingId));
        th.setAttribute('scope', 'row');
        const cells: [string, string, string][] = [
          ['Host accounts', arr(m.hostAccountIds).map(str).join(', ') || '—', ''],
          ['Present', str(m.participants), 'n'],
          ['By country', counts(m.countries), 'countries'],
          ['By region', counts(m.subdivisions), ''],
        ];
        tr.append(th);
        for (const [label, text, className] of cells) {
          const td = make('td', text, className);
          td.dataset.label = label; // the column name, shown beside the value on narrow screens
          tr.append(td);
        }
        return tr;
      });
    el('meetings-body').replaceChildren(...rows);
    el('meetings-empty').hidden = rows.length > 0;
  }

  // ------------------------------------------------------------------ events (SSE over fetch: EventSource cannot send a header)
  function listen(): void {
    stream?.abort();
    const controller = new win.AbortController();
    stream = controller;
    let retry = 1000;
    const live = el('live');
    const run = async (): Promise<void> => {
      while (stream === controller) {
        try {
          const res = await win.fetch(`${base}api/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal, cache: 'no-store' });
          if (res.status === 401) return signOut('The token was not accepted. Sign in again.');
          if (!res.ok || res.body === null) throw new Error(`events answered ${res.status}`);
          el('activity').replaceChildren(); // the stream replays the recent events first
          live.textContent = 'Live: updates as participants join, leave and are removed.';
          live.className = 'hint live';
          retry = 1000;
          const reader = res.body.getReader();
          const decoder = new win.TextDecoder();
          let buffer = '';
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              dispatch(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              end = buffer.indexOf('\n\n');
            }
          }
        } catch {
          if (stream !== controller) return;
        }
        live.textContent = 'Reconnecting to live updates…';
        live.className = 'hint stale';
        await new Promise<void>((resolve) => win.setTimeout(resolve, retry));
        retry = Math.min(retry * 2, 15000);
      }
    };
    void run();
  }

  function dispatch(block: string): void {
    let type = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (data === '') return;
    let payload: Json;
    try {
      payload = obj(JSON.parse(data));
    } catch {
      return;
    }
    if (type === 'overview') return showMeetings(arr(payload.meetings));
    activity(type, payload);
    if (type.startsWith('restriction.')) {
      void loadRestrictions();
      scheduleReport();
    } else if (type === 'removal') scheduleReport();
  }

  function activity(type: string, e: Json): void {
    const loc = obj(e.location);
    const where = str(loc.country) || (loc.unknown ? `unknown (${str(loc.unknown)})` : '');
    let text: string;
    switch (type) {
      case 'decision':
        text = `${str(e.outcome)}: ${str(e.participantId)} in ${str(e.meetingId)}${where ? ` from ${where}` : ''}${
          arr(e.reasons).length > 0
            ? ` — ${arr(e.reasons)
                .map((r) => str(obj(r).code))
                .join(', ')}`
            : ''
        }`;
        break;
      case 'removal':
        text = `removed: ${str(e.participantId)} from ${str(e.meetingId)} (${where}) by ${str(e.restrictionId)}${e.status === 'pending' ? ' — pending' : ''}`;
        break;
      case 'restriction.accepted':
        text = `restriction ${str(e.restrictionId)} accepted (${str(e.kind)}, ${arr(e.regions).map(str).join(', ')}): ${str(e.removed)} removed`;
        break;
      case 'restriction.refused':
        text = `restriction ${str(e.restrictionId) || '(no id)'} refused: ${str(e.code)} — ${str(e.reason)}`;
        break;
      case 'restriction.lifted':
        text = `restriction ${str(e.restrictionId)} ${e.expired === true ? 'expired' : 'lifted'}`;
        break;
      case 'warning':
        text = `warning ${str(e.code)}: ${str(e.message)}`;
        break;
      default:
        text = `${type}${e.message ? `: ${str(e.message)}` : ''}`;
    }
    const li = make('li');
    li.className = type.replace('.', '-');
    li.append(make('time', str(e.time).slice(11, 19)), ` ${text}`);
    const list = el('activity');
    list.prepend(li);
    while (list.children.length > 100) list.lastElementChild?.remove();
  }

  // ------------------------------------------------------------------ demand form
  const list = (id: string): string[] =>
    el(id)
      .value.split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const when = (id: string): string | undefined => {
    const value = el(id).value;
    if (value === '') return undefined;
    const date = new Date(`${value}Z`); // the form's times are UTC, as the audit log's
    return Number.isNaN(date.getTime()) ? value : date.toISOString();
  };

  function documentFromForm(): Json {
    const kind = el('f-kind').value;
    const d: Json = { id: el('f-id').value.trim(), kind };
    const name = el('f-authority').value.trim();
    const jurisdiction = el('f-jurisdiction').value.trim().toUpperCase();
    if (name !== '' || jurisdiction !== '') d.authority = { name, jurisdiction };
    d.regions = list('f-regions').map((r) => r.toUpperCase());
    const scope: Json = {};
    const meetings = list('f-meetings');
    const hosts = list('f-hosts');
    if (meetings.length > 0) scope.meetings = meetings;
    if (hosts.length > 0) scope.hostAccounts = hosts;
    d.scope = scope;
    d.mode = el('f-mode').value;
    const from = when('f-from');
    const until = when('f-until');
    if (from !== undefined) d.validFrom = from;
    if (until !== undefined) d.validUntil = until;
    const reference = el('f-reference').value.trim();
    if (reference !== '') d.reference = reference;
    return d;
  }

  const entryMode = (): string => (el('entry-json-radio').checked ? 'json' : 'form');
  const showEntry = (): void => {
    const json = entryMode() === 'json';
    if (json && el('f-json').value.trim() === '') el('f-json').value = JSON.stringify(documentFromForm(), null, 2);
    el('entry-form').hidden = json;
    el('entry-json').hidden = !json;
  };
  el('entry-form-radio').addEventListener('change', showEntry);
  el('entry-json-radio').addEventListener('change', showEntry);

  let previewed: { document: unknown; digest: string | null } | undefined;

  el('demand-form').addEventListener('submit', (event) => {
    event.preventDefault();
    let document: unknown;
    if (entryMode() === 'json') {
      try {
        document = JSON.parse(el('f-json').value);
      } catch (error) {
        return showRefusal({ status: 400, json: { error: 'bad-json', message: `the document is not JSON: ${(error as Error).message}` } }, undefined);
      }
    } else document = documentFromForm();
    void preview(document);
  });

  const panel = el('preview');
  const names = (refs: unknown): ClientElement => {
    const items = arr(refs).map((r) => make('li', `${str(obj(r).participantId)} — ${str(obj(r).meetingId)}`));
    if (items.length === 0) return make('p', 'Nobody.', 'none');
    const ul = make('ul');
    ul.append(...items);
    return ul;
  };
  const meetingList = (value: unknown): string => arr(value).map(str).join(', ') || 'none';
  const button = (text: string, className: string, onClick: () => void): ClientElement => {
    const b = make('button', text, className);
    b.setAttribute('type', 'button');
    b.addEventListener('click', onClick);
    return b;
  };
  const showPanel = (...nodes: ClientElement[]): void => {
    panel.replaceChildren(...nodes);
    panel.hidden = false;
    panel.focus();
  };

  async function preview(document: unknown): Promise<void> {
    previewed = undefined;
    say('Previewing…');
    const answer = await call('POST', 'api/preview', { restriction: document });
    if (answer.status !== 200) return showRefusal(answer, document);
    const r = answer.json;
    previewed = { document, digest: str(r.digest) };
    const h = make('h3', 'Preview — nothing has been done yet');
    const intro = make(
      'p',
      r.active === false
        ? 'This restriction is not active now (outside its window): nobody would be removed now.'
        : r.mode === 'dry-run'
          ? 'Dry run: matches are reported in decisions and the audit log; nobody is removed or denied.'
          : '',
    );
    const removedH = make(
      'h4',
      r.mode === 'dry-run' || r.active === false
        ? `Matches ${arr(r.matched).length} participant(s)`
        : `Would remove ${arr(r.wouldRemove).length} participant(s)`,
    );
    const reached = make('p', `Meetings reached: ${meetingList(r.meetingsReached)}`);
    const undisturbed = make('p', `Meetings left undisturbed: ${meetingList(r.meetingsUndisturbed)}`, 'undisturbed');
    const warnings = arr(r.warnings).map((w) => make('p', `Warning: ${str(w)}`, 'warning'));
    const digest = make('p', `Document digest ${str(r.digest)}`, 'hint');
    const actions = make('div', undefined, 'actions');
    actions.append(
      button('Confirm and apply', 'danger', () => void confirm()),
      button('Cancel', '', () => {
        previewed = undefined;
        panel.hidden = true;
        say('Cancelled: nothing was done.');
      }),
    );
    showPanel(h, intro, removedH, names(r.matched), reached, undisturbed, ...warnings, digest, actions);
    say('Preview ready: check it, then confirm or cancel.');
  }

  function showRefusal(answer: Answer, document: unknown): void {
    const box = make('div', undefined, 'refusal');
    box.setAttribute('role', 'alert');
    box.append(make('h3', 'Refused — nothing was done'), make('p', refusal(answer), 'code'));
    const nodes = [box];
    if (answer.status === 422 && document !== undefined) {
      // A refused demand is still a demand received: recording it puts it in the transparency report.
      const actions = make('div', undefined, 'actions');
      actions.append(button('Record the refusal in the audit log', '', () => void record(document)));
      nodes.push(actions);
    }
    showPanel(...nodes);
    say(`Refused: ${str(answer.json.error)}`);
  }

  async function record(document: unknown): Promise<void> {
    const answer = await call('POST', 'api/restrictions', { restriction: document, digest: null });
    const p = make(
      'p',
      answer.status === 422 ? `Recorded in the audit log as refused (${str(answer.json.error)}).` : `Unexpected answer ${answer.status}: ${refusal(answer)}`,
    );
    panel.append(p);
    say(answer.status === 422 ? 'The refusal was recorded. Nothing else was done.' : 'Unexpected answer.');
  }

  async function confirm(): Promise<void> {
    if (previewed === undefined) return;
    const { document, digest } = previewed;
    previewed = undefined;
    say('Applying…');
    const answer = await call('POST', 'api/restrictions', { restriction: document, digest });
    if (answer.status === 201) {
      const r = answer.json;
      const removed = arr(r.removed);
      const pending = arr(r.pending);
      const nodes = [make('h3', `Applied ${str(obj(r.restriction).id)}`), make('h4', `Removed ${removed.length} participant(s)`), names(removed)];
      if (pending.length > 0) nodes.push(make('p', `${pending.length} removal(s) pending: the media server did not confirm yet.`, 'warning'));
      nodes.push(make('p', `Meetings left undisturbed: ${meetingList(r.meetingsUndisturbed)}`, 'undisturbed'));
      showPanel(...nodes);
      say(`Applied: ${removed.length} participant(s) removed.`);
      void loadRestrictions();
      return;
    }
    if (answer.status === 409) {
      const box = make('div', undefined, 'refusal');
      box.setAttribute('role', 'alert');
      box.append(make('h3', 'Not applied: the document changed since its preview'), make('p', refusal(answer), 'code'));
      showPanel(box);
      say('Not applied (409).');
      return;
    }
    showRefusal(answer, undefined);
  }

  // ------------------------------------------------------------------ restrictions
  async function loadRestrictions(): Promise<void> {
    const answer = await call('GET', 'api/restrictions');
    if (answer.status !== 200) return;
    const rows = arr(answer.json.restrictions).map((value) => {
      const r = obj(value);
      const scope = obj(r.scope);
      const id = str(r.id);
      const tr = make('tr');
      tr.dataset.restriction = id;
      const th = make('th', id);
      th.setAttribute('scope', 'row');
      const authority = obj(r.authority);
      const who = authority.name ? `${str(authority.name)} (${str(authority.jurisdiction)})` : '—';
      const scopeText =
        scope.all === true ? 'all meetings' : [...arr(scope.meetings).map(str), ...arr(scope.hostAccounts).map((h) => `host ${str(h)}`)].join(', ');
      const window = [r.validFrom ? `from ${str(r.validFrom)}` : '', r.validUntil ? `until ${str(r.validUntil)}` : ''].filter(Boolean).join(' ') || 'always';
      const cell = make('td');
      const lift = button('Lift', '', () => void liftOne(id, lift));
      lift.setAttribute('aria-label', `Lift ${id}`);
      cell.append(lift);
      tr.append(
        th,
        make('td', str(r.kind)),
        make('td', who),
        make('td', [...arr(r.regions), ...arr(r.allowRegions).map((x) => `only ${str(x)}`)].map(str).join(', ')),
        make('td', scopeText),
        make('td', `${str(r.mode)}${r.active === false ? ' (inactive)' : ''}`),
        make('td', window),
        cell,
      );
      return tr;
    });
    el('restrictions-body').replaceChildren(...rows);
    el('restrictions-empty').hidden = rows.length > 0;
  }

  async function liftOne(id: string, trigger: ClientElement): Promise<void> {
    trigger.disabled = true;
    const answer = await call('DELETE', `api/restrictions/${encodeURIComponent(id)}`);
    say(answer.status === 200 ? `Lifted ${id}. Removed participants may rejoin.` : `Lift failed: ${refusal(answer)}`);
    await loadRestrictions();
  }

  // ------------------------------------------------------------------ audit log and report
  let reportSoon: number | undefined;
  function scheduleReport(): void {
    win.clearTimeout(reportSoon);
    reportSoon = win.setTimeout(() => void loadReport(), 1500);
  }

  async function loadReport(): Promise<void> {
    const verification = el('verification');
    if (!hasReport) {
      verification.textContent = 'No audit log is configured for this console (createConsole option auditLog).';
      return;
    }
    const answer = await call('GET', 'api/report?html=1');
    if (answer.status !== 200) {
      verification.textContent = `The report is unavailable: ${refusal(answer)}`;
      return;
    }
    const v = obj(answer.json.verification);
    verification.className = v.ok === true ? 'ok' : 'error';
    verification.textContent =
      v.ok === true
        ? `Audit log verified: ${str(v.events)} events, hash chain intact${v.checkpoint === true ? ', checkpoint checked' : ''}.`
        : `Audit log does NOT verify: ${str(v.problem)} at line ${str(v.line)}${v.message ? ` — ${str(v.message)}` : ''}.`;
    const report = obj(answer.json.report);
    const demands = obj(obj(report.governmentDemands).total);
    const decisions = obj(report.decisions);
    const promises = obj(report.promises);
    const figures: [string, unknown][] = [
      ['Demands received', demands.restrictionsReceived],
      ['Demands refused', demands.restrictionsRefused],
      ['Demands accepted', demands.restrictionsAccepted],
      ['Participants removed', demands.participantsRemoved],
      ['Joins decided', decisions.total],
      ['Joins denied', decisions.denied],
      ['Meetings ended by the SDK', promises.meetingsEndedBySdk],
      ['Host accounts suspended', promises.hostAccountsSuspended],
      ['User data disclosed', promises.userDataDisclosures],
    ];
    const dl = make('dl', undefined, 'figures');
    for (const [label, value] of figures) {
      const div = make('div');
      div.append(make('dt', label), make('dd', str(value)));
      dl.append(div);
    }
    el('report-summary').replaceChildren(dl);
    const text = str(answer.json.html);
    if (text !== '') {
      el('report-frame').srcdoc = text;
      el('report-frame').hidden = false;
      const link = el('report-download');
      if (link.href.startsWith('blob:')) win.URL.revokeObjectURL(link.href);
      link.href = win.URL.createObjectURL(new win.Blob([text], { type: 'text/html' }));
      link.hidden = false;
    }
  }
  el('report-refresh').addEventListener('click', () => void loadReport());

  // ------------------------------------------------------------------ start
  if (token !== '') void signIn(token);
  else el('token').focus();
}
