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
  /** `1 participant`, `3 participants`. */
  const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
  const sentence = (text: string): string => {
    const t = text.trim();
    if (t === '') return '';
    const upper = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?]$/.test(upper) ? upper : `${upper}.`;
  };
  /** A gate message without its leading JSON path (`$.regions[0]: …`), which goes to the details line. */
  const why = (message: string, path: string): string => {
    let m = message;
    if (path !== '' && m.startsWith(`${path}: `)) m = m.slice(path.length + 2);
    m = m.replace(/^\$[.[][^\s:]*: /, '');
    return sentence(m);
  };
  const HEADLINES: Record<string, string> = {
    E_OUT_OF_JURISDICTION: 'Refused: the authority has no jurisdiction over a region this demand names. Nothing was done.',
    E_INVALID_RESTRICTION: 'Refused: this is not a valid restriction document. Nothing was done.',
    E_UNKNOWN_RESTRICTION: 'There is no such restriction (it may have been lifted already).',
    E_STORE_UNAVAILABLE: 'The restriction store cannot be reached, so nothing was changed. Try again in a moment.',
    E_CLOSED: 'geoadmit is shutting down on this server, so nothing was changed.',
    'digest-mismatch': 'The document changed since its preview, so nothing was applied. Preview it again.',
    'bad-json': 'The document is not valid JSON. Nothing was done.',
    'bad-request': 'The request was not understood. Nothing was done.',
    'payload-too-large': 'The document is too large. Nothing was done.',
    'unknown-exemption': 'There is no such exemption (it may have been revoked already).',
    'not-supported': 'The geoadmit version on this server cannot grant exemptions.',
    unauthorized: 'The token was not accepted.',
  };
  /** Headlines that read differently for an exemption than for a demand. */
  const EXEMPTION_HEADLINES: Record<string, string> = {
    E_INVALID_RESTRICTION: 'Refused: this exemption is not valid. Nothing was changed.',
    E_UNKNOWN_RESTRICTION: 'There is no such restriction or exemption (it may have been lifted or revoked already).',
    'digest-mismatch': 'The exemption changed since its preview, so nothing was granted. Preview it again.',
  };
  const UNKNOWN_WORDS: Record<string, string> = {
    'invalid-address': 'an unreadable address',
    'non-global': 'a private or reserved network',
    'not-in-database': 'an address the location data does not cover',
    'no-physical-country': 'an address the data places only by registration',
    'lookup-error': 'a failed location lookup',
  };

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

  /** An answer's refusal for people: a plain headline, why (the server's sentence without codes), and a details line with the code and field. */
  const plain = (answer: Answer, exemption = false): { headline: string; reason: string; details: string } => {
    const code = str(answer.json.error);
    const path = str(answer.json.path);
    const reason = why(str(answer.json.message).replace(/ \[(restriction|exemption) "[^"]*"\]$/, ''), path);
    const headline = (exemption ? EXEMPTION_HEADLINES[code] : undefined) ?? HEADLINES[code] ?? `The server could not do this (answer ${answer.status}).`;
    const details = ['Details:', code || `HTTP ${answer.status}`, path ? `at ${path}` : '', `(HTTP ${answer.status})`].filter(Boolean).join(' ');
    return { headline, reason, details };
  };
  /** One line for the status bar. */
  const refusal = (answer: Answer): string => {
    const p = plain(answer);
    return p.reason === '' || p.headline.includes(p.reason) ? p.headline : `${p.headline} ${p.reason}`;
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
    showOverview(answer.json);
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

  /** How many nodes the latest fleet answer covered; the preview and result speak of nodes only when there are several. */
  let fleetSize = 1;

  /** The overview: meetings (summed across the fleet) and which nodes were counted. */
  function showOverview(overview: Json): void {
    showMeetings(arr(overview.meetings));
    const coverage = obj(overview.coverage);
    const counted = arr(coverage.nodes).map(str);
    const missing = arr(coverage.missing).map(str);
    const gone = arr(overview.gone).map(obj);
    const total = counted.length + missing.length + gone.length;
    fleetSize = Math.max(total, 1);
    el('meetings-h').textContent = total > 1 ? `Live meetings across ${count(total, 'node')}` : 'Live meetings';
    // Events are this node's own: in a fleet, say so (the other nodes' joins and removals are counted above, not listed).
    const self = str(overview.self);
    el('activity-h').textContent = total > 1 && self !== '' ? `Activity on this node (${self})` : 'Activity';
    el('fleet').textContent =
      total > 1
        ? `Across ${count(total, 'node')}: counted on ${counted.length} of ${total} (${counted.join(', ')}).`
        : counted.length === 1
          ? `Counted on this server's node (${counted[0]}), the only one in the fleet.`
          : '';
    const box = el('fleet-warning');
    const lines: ClientElement[] = [];
    if (missing.length > 0) {
      lines.push(
        make(
          'p',
          `${missing.length === 1 ? 'Node' : 'Nodes'} ${missing.join(', ')} did not answer: the meeting counts leave out ${missing.length === 1 ? 'its' : 'their'} participants.`,
        ),
      );
    }
    for (const g of gone) {
      lines.push(
        make(
          'p',
          `Node ${str(g.nodeId)} has stopped answering (last counted at ${str(g.lastCounted).slice(11, 19)} UTC): if it still runs, its participants are not in these counts.`,
        ),
      );
    }
    if (coverage.complete === false && lines.length === 0)
      lines.push(make('p', 'Not every node could be counted: the meeting counts may leave participants out.'));
    const problem = str(overview.problem);
    if (problem !== '') lines.push(make('p', problem));
    box.replaceChildren(...lines);
    box.hidden = lines.length === 0;
  }

  function showMeetings(meetings: unknown[]): void {
    const columns: [string, string][] = [
      ['Host accounts', ''],
      ['Present', 'n'],
      ['By country', 'countries'],
      ['By region', 'regions'],
      ['Nodes', 'nodes'],
    ];
    const data = meetings
      .map(obj)
      .sort((a, b) => str(a.meetingId).localeCompare(str(b.meetingId)))
      .map((m) => ({
        id: str(m.meetingId),
        cells: [
          arr(m.hostAccountIds).map(str).join(', ') || '—',
          str(m.participants),
          counts(m.countries),
          counts(m.subdivisions),
          arr(m.nodes).map(str).join(', ') || '—',
        ],
      }));
    // A column nobody has a value in (regions with country-level data, nodes on a single server) is left out.
    const shown = columns.map((_, i) => data.some((row) => row.cells[i] !== '—') && !(i === 4 && fleetSize <= 1));
    const heads = el('meetings-head').children;
    for (let i = 0; i < columns.length; i++) {
      const th = heads[i + 1];
      if (th !== undefined) th.hidden = !shown[i];
    }
    const rows = data.map((row) => {
      const tr = make('tr');
      tr.dataset.meeting = row.id;
      const th = make('th', row.id);
      th.setAttribute('scope', 'row');
      tr.append(th);
      columns.forEach(([label, className], i) => {
        if (!shown[i]) return;
        const td = make('td', row.cells[i], className);
        td.dataset.label = label; // the column name, shown beside the value on narrow screens
        tr.append(td);
      });
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
    if (type === 'overview') return showOverview(payload);
    activity(type, payload);
    if (type.startsWith('restriction.') || type.startsWith('exemption.')) {
      void loadRestrictions();
      scheduleReport();
    } else if (type === 'removal') scheduleReport();
  }

  /** Where a participant was, in words: a country code, or why the location is unknown. */
  const whereFrom = (value: unknown): string => {
    const loc = obj(value);
    if (str(loc.country) !== '') return ` from ${str(loc.country)}`;
    const unknown = str(loc.unknown);
    return unknown === '' ? '' : ` (location unknown: ${UNKNOWN_WORDS[unknown] ?? unknown})`;
  };
  const reasonWords = (value: unknown): string => {
    const r = obj(value);
    const by = str(r.restrictionId);
    switch (str(r.code)) {
      case 'region-restricted':
        return `${str(r.region) || 'region'} restricted by ${by}`;
      case 'not-in-allowed-regions':
        return `outside the regions ${by} admits`;
      case 'unknown-location':
        return `${by} refuses unknown locations`;
      case 'anonymizer':
        return `${by} refuses anonymising networks`;
      case 'rule':
        return `rule ${str(r.rule)}${r.message ? `: ${str(r.message)}` : ''}`;
      case 'invalid-address':
        return 'the address could not be read';
      case 'audit-unavailable':
        return 'the audit log cannot record right now';
      default:
        return str(r.code);
    }
  };

  function activity(type: string, e: Json): void {
    const who = str(e.participantId);
    const meeting = str(e.meetingId);
    let text: string;
    let detail = '';
    switch (type) {
      case 'decision': {
        const reasons = arr(e.reasons).map(reasonWords);
        const exempted = arr(e.exempted).map((x) => `exempted from ${str(obj(x).restrictionId)} by ${str(obj(x).exemptionId)}`);
        text =
          e.outcome === 'denied'
            ? `${who} was refused entry to ${meeting}${whereFrom(e.location)}: ${reasons.join('; ') || 'denied'}.`
            : `${who} joined ${meeting}${whereFrom(e.location)}${exempted.length > 0 ? ` (${exempted.join('; ')})` : ''}.`;
        break;
      }
      case 'removal':
        text =
          e.status === 'pending'
            ? `Removing ${who} from ${meeting} (${str(e.restrictionId)}) is pending: the media server has not confirmed yet.`
            : `${who} was removed from ${meeting} by ${str(e.restrictionId)}${str(obj(e.location).country) ? ` (located in ${str(obj(e.location).country)})` : whereFrom(e.location)}.`;
        break;
      case 'restriction.accepted': {
        const removed = Number(e.removed ?? 0);
        // The event is this node's: in a fleet, its removals are this node's part (the result above counts the fleet).
        const here = fleetSize > 1 && str(e.node) !== '' ? ` on ${str(e.node)}` : '';
        text = `Restriction ${str(e.restrictionId)} accepted (${str(e.kind)}, ${arr(e.regions).map(str).join(', ')}): ${count(removed, 'participant')} removed${here}.`;
        break;
      }
      case 'restriction.refused':
        text = `Demand ${str(e.restrictionId) || 'without an id'} refused and recorded: ${why(str(e.reason), str(e.path))}`;
        detail = [str(e.code), str(e.path)].filter(Boolean).join(' at ');
        break;
      case 'restriction.lifted':
        text = `Restriction ${str(e.restrictionId)} ${e.expired === true ? 'expired' : 'lifted'}.`;
        break;
      case 'exemption.granted':
        text = `Exemption ${str(e.exemptionId) || str(e.id)} granted on ${str(e.restrictionId)}.`;
        break;
      case 'exemption.revoked':
        text = `Exemption ${str(e.exemptionId) || str(e.id)} on ${str(e.restrictionId)} revoked.`;
        break;
      case 'warning':
        text = `Warning: ${sentence(str(e.message))}`;
        detail = str(e.code);
        break;
      case 'store.disconnected':
        text = 'The restriction store is unreachable; enforcement goes on with the restrictions already known.';
        break;
      case 'store.reconnected':
        text = 'The restriction store is reachable again.';
        break;
      case 'store.resynced':
        text = 'Restrictions re-read from the store.';
        break;
      case 'store.regressed':
        text = `The store lost restrictions this node still enforces: ${arr(e.missing ?? e.ids)
          .map(str)
          .join(', ')}. Write them back (store.reseed).`;
        break;
      case 'geo.reloaded':
        text = 'The location database was reloaded.';
        break;
      default:
        text = `${type}${e.message ? `: ${sentence(str(e.message))}` : ''}`;
    }
    const li = make('li');
    li.className = type.replace('.', '-');
    li.append(make('time', str(e.time).slice(11, 19)), ` ${text}`);
    if (detail !== '') li.append(make('span', ` ${detail}`, 'detail'));
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
    const noticeText = el('f-notice').value.trim();
    const noticeUrl = el('f-notice-url').value.trim();
    const appealUrl = el('f-appeal-url').value.trim();
    if (noticeText !== '' || noticeUrl !== '') d.notice = { ...(noticeText ? { text: noticeText } : {}), ...(noticeUrl ? { url: noticeUrl } : {}) };
    if (appealUrl !== '') d.appeal = { url: appealUrl };
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
        return showRefusal(el('preview'), { status: 400, json: { error: 'bad-json', message: (error as Error).message } });
      }
    } else document = documentFromForm();
    void preview(document);
  });

  const panel = el('preview');
  /** Participant references as a list: who, in which meeting, and on which node when there are several. */
  const names = (refs: unknown, extra?: (r: Json) => string): ClientElement => {
    const items = arr(refs).map((value) => {
      const r = obj(value);
      const node = fleetSize > 1 && str(r.nodeId) !== '' ? ` (on node ${str(r.nodeId)})` : '';
      return make('li', `${str(r.participantId)} — ${str(r.meetingId)}${node}${extra ? extra(r) : ''}`);
    });
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
  const show = (target: ClientElement, ...nodes: ClientElement[]): void => {
    target.replaceChildren(...nodes);
    target.hidden = false;
    target.focus();
  };
  const details = (text: string): ClientElement => make('p', text, 'details');
  /** "Counted on 2 of 2 nodes", and the unmissable warning when a node did not answer. */
  const coverageNodes = (value: unknown, what: string): ClientElement[] => {
    const c = obj(value);
    if (c.nodes === undefined) return [];
    const counted = arr(c.nodes).map(str);
    const missing = arr(c.missing).map(str);
    const total = counted.length + missing.length;
    const out = [make('p', total > 1 ? `Counted on ${counted.length} of ${total} nodes.` : 'Counted on the only node in the fleet.', 'coverage')];
    if (missing.length > 0 || c.complete === false) {
      const warn = make('div', undefined, 'fleet-warning');
      warn.setAttribute('role', 'alert');
      warn.append(
        make(
          'strong',
          missing.length > 0
            ? `Not counted: ${missing.length === 1 ? 'node' : 'nodes'} ${missing.join(', ')} did not answer in time.`
            : 'Not every node could be asked.',
        ),
        make('span', ` ${what}`),
      );
      out.push(warn);
    }
    return out;
  };

  /** " across 3 nodes" when the answer counts several, " on node-a only" when one of several answered, else nothing. */
  const acrossNodes = (value: unknown): string => {
    const c = obj(value);
    const counted = arr(c.nodes).map(str);
    const total = counted.length + arr(c.missing).length;
    if (counted.length > 1) return ` across ${count(counted.length, 'node')}`;
    return total > 1 && counted.length === 1 ? ` on ${counted[0]} only` : '';
  };
  /** Meetings reached and, when any, those left undisturbed. */
  const meetingLines = (r: Json): ClientElement[] => {
    const reached = arr(r.meetingsReached);
    if (reached.length === 0) return [make('p', 'No meeting in its scope has anyone present on the nodes counted.')];
    return [
      make('p', `Meetings reached: ${meetingList(reached)}`),
      make('p', `Meetings left undisturbed: ${meetingList(r.meetingsUndisturbed)}`, 'undisturbed'),
    ];
  };

  async function preview(document: unknown): Promise<void> {
    previewed = undefined;
    say('Submitting…');
    const answer = await call('POST', 'api/preview', { restriction: document });
    if (answer.status !== 200) return showRefusal(panel, answer);
    const r = answer.json;
    previewed = { document, digest: str(r.digest) };
    const removes = r.mode !== 'dry-run' && r.active !== false;
    const n = arr(removes ? r.wouldRemove : r.matched).length;
    const across = acrossNodes(r.coverage);
    const nodes = [
      make('h3', 'Preview: nothing has been done yet'),
      make(
        'p',
        r.active === false
          ? 'This restriction is not active now (outside its window): nobody would be removed now.'
          : r.mode === 'dry-run'
            ? 'Report only: matches are recorded in decisions and the audit log; nobody is removed or refused entry.'
            : '',
      ),
      make('h4', removes ? `Would remove ${count(n, 'participant')}${across}` : `Matches ${count(n, 'participant')}${across}`),
      names(removes ? r.wouldRemove : r.matched),
      ...coverageNodes(r.coverage, 'Participants connected to it are not in this list; if you confirm, the restriction still applies to them.'),
      ...meetingLines(r),
      ...arr(r.warnings).map((w) => make('p', `Warning: ${sentence(str(w))}`, 'warning')),
      details(`Document digest ${str(r.digest)}`),
    ];
    const actions = make('div', undefined, 'actions');
    actions.append(
      button('Confirm and apply', 'danger', () => void confirm()),
      button('Cancel', '', () => {
        previewed = undefined;
        panel.hidden = true;
        say('Cancelled: nothing was done.');
      }),
    );
    show(panel, ...nodes, actions);
    say('Preview ready: check it, then confirm or cancel.');
  }

  /** A refusal: what happened in a plain sentence, why, then the code and field in a details line. */
  function showRefusal(target: ClientElement, answer: Answer, title?: string): void {
    const p = plain(answer, target.id === 'exempt-preview');
    const box = make('div', undefined, 'refusal');
    box.setAttribute('role', 'alert');
    box.append(make('h3', title ?? p.headline));
    if (title !== undefined) box.append(make('p', p.headline));
    if (p.reason !== '') box.append(make('p', p.reason));
    if (answer.json.recorded === true) {
      box.append(
        make(
          'p',
          answer.json.repeat === true
            ? 'This same document was refused before: it is on the record once and is not counted as a second demand.'
            : 'Recorded in the audit log as a refused demand: it counts in the transparency report.',
          'recorded',
        ),
      );
    }
    box.append(details(`${p.details}${answer.json.digest ? ` · document digest ${str(answer.json.digest)}` : ''}`));
    show(target, box);
    say(refusal(answer));
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
      const across = acrossNodes(r.coverage);
      const nodes = [
        make('h3', `Applied ${str(obj(r.restriction).id)}`),
        make('h4', `Removed ${count(removed.length, 'participant')}${across}`),
        names(removed),
      ];
      if (pending.length > 0) {
        nodes.push(make('p', `${count(pending.length, 'removal')} pending: the media server has not confirmed yet. geoadmit keeps retrying.`, 'warning'));
      }
      nodes.push(
        ...coverageNodes(
          r.coverage,
          'Its participants are not in this list; that node applies the restriction when it hears of it, and its removals appear under Activity.',
        ),
        make('p', `Meetings left undisturbed: ${meetingList(r.meetingsUndisturbed)}`, 'undisturbed'),
      );
      show(panel, ...nodes);
      say(`Applied: ${count(removed.length, 'participant')} removed.`);
      void loadRestrictions();
      return;
    }
    showRefusal(panel, answer, answer.status === 409 ? 'Not applied: the document changed since its preview' : undefined);
  }

  // ------------------------------------------------------------------ restrictions, notices and exemptions
  let restrictionIds: string[] = [];

  /** A notice or appeal: its text and a link to its URL. */
  const publicText = (label: string, value: unknown): ClientElement | undefined => {
    const t = obj(value);
    if (str(t.text) === '' && str(t.url) === '') return undefined;
    const p = make('p', `${label}: ${str(t.text)}`, 'notice');
    if (str(t.url) !== '') {
      const a = make('a', str(t.text) === '' ? str(t.url) : ' (more)');
      a.href = str(t.url);
      a.setAttribute('rel', 'noopener noreferrer');
      a.setAttribute('target', '_blank');
      p.append(a);
    }
    return p;
  };

  const exemptionWho = (x: Json): string =>
    [
      ...arr(x.participants).map((p) => `participant ${str(p)}`),
      ...arr(x.hostAccounts).map((h) => `host account ${str(h)}`),
      ...arr(x.networks).map((n) => `network ${str(n)}`),
    ].join(', ');

  async function loadRestrictions(): Promise<void> {
    const answer = await call('GET', 'api/restrictions');
    if (answer.status !== 200) return;
    const list = arr(answer.json.restrictions).map(obj);
    restrictionIds = list.map((r) => str(r.id));
    const rows = list.map((r) => {
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
      const notice = make('td', undefined, 'notice-cell');
      notice.dataset.label = 'Notice';
      const shown = [publicText('Notice', r.notice), publicText('Appeal', r.appeal)].filter((x): x is ClientElement => x !== undefined);
      if (shown.length === 0) notice.append(make('span', 'None given', 'none'));
      else notice.append(...shown);
      const exemptions = make('td', undefined, 'exemptions-cell');
      exemptions.dataset.label = 'Exemptions';
      const granted = arr(r.exemptions).map(obj);
      if (granted.length === 0) exemptions.append(make('span', 'None', 'none'));
      for (const x of granted) {
        const xid = str(x.id);
        const line = make('p', `${xid}: ${exemptionWho(x)} — ${str(x.reason)}${x.validUntil ? ` (until ${str(x.validUntil)})` : ''}`, 'exemption');
        line.dataset.exemption = xid;
        const revoke = button('Revoke', '', () => void previewRevoke(xid));
        revoke.setAttribute('aria-label', `Revoke exemption ${xid}`);
        line.append(' ', revoke);
        exemptions.append(line);
      }
      const cell = make('td', undefined, 'actions-cell');
      cell.dataset.label = 'Action';
      const lift = button('Lift', '', () => void liftOne(id, lift));
      lift.setAttribute('aria-label', `Lift ${id}`);
      cell.append(lift);
      if (answer.json.exemptionsSupported === true) {
        const grant = button('Grant exemption', '', () => startExemption(id));
        grant.setAttribute('aria-label', `Grant an exemption from ${id}`);
        cell.append(' ', grant);
      }
      const cells: [string, string][] = [
        ['Kind', str(r.kind)],
        ['Authority', who],
        ['Regions', [...arr(r.regions), ...arr(r.allowRegions).map((x) => `only ${str(x)}`)].map(str).join(', ')],
        ['Scope', scopeText],
        ['Mode', `${r.mode === 'dry-run' ? 'report only' : str(r.mode)}${r.active === false ? ' (inactive)' : ''}`],
        ['Window', window],
      ];
      tr.append(th);
      for (const [label, text] of cells) {
        const td = make('td', text);
        td.dataset.label = label;
        tr.append(td);
      }
      tr.append(notice, exemptions, cell);
      return tr;
    });
    el('restrictions-body').replaceChildren(...rows);
    el('restrictions-empty').hidden = rows.length > 0;
    el('restrictions').hidden = rows.length === 0; // no header row over nothing
    const select = el('x-restriction');
    const current = select.value;
    select.replaceChildren(...restrictionIds.map((id) => make('option', id)));
    if (restrictionIds.includes(current)) select.value = current;
    el('exempt-form').hidden = answer.json.exemptionsSupported !== true || restrictionIds.length === 0;
    el('exempt-none').hidden = !el('exempt-form').hidden;
    el('exempt-none').textContent =
      answer.json.exemptionsSupported !== true
        ? 'The geoadmit version on this server cannot grant exemptions.'
        : 'Exemptions narrow a registered restriction: there is none yet.';
  }

  async function liftOne(id: string, trigger: ClientElement): Promise<void> {
    trigger.disabled = true;
    const answer = await call('DELETE', `api/restrictions/${encodeURIComponent(id)}`);
    say(answer.status === 200 ? `Lifted ${id}. Removed participants may rejoin.` : `Lift failed: ${refusal(answer)}`);
    await loadRestrictions();
  }

  // Exemptions: grant and revoke, each previewed like a demand.
  const xPanel = el('exempt-preview');
  let exemptionPreviewed: { exemption: Json; digest: string } | undefined;

  function startExemption(restrictionId: string): void {
    el('x-restriction').value = restrictionId;
    el('x-id').focus();
    say(`Granting an exemption from ${restrictionId}: fill in who and why, then preview.`);
  }

  const exemptionFromForm = (): Json => {
    const x: Json = { id: el('x-id').value.trim(), restrictionId: el('x-restriction').value, reason: el('x-reason').value.trim() };
    // Commas only: participant ids may hold spaces.
    const values = el('x-values')
      .value.split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    const kind = el('x-kind').value;
    x[kind === 'host' ? 'hostAccounts' : kind === 'network' ? 'networks' : 'participants'] = values;
    const until = when('x-until');
    if (until !== undefined) x.validUntil = until;
    return x;
  };

  el('exempt-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void previewExemption(exemptionFromForm());
  });

  async function previewExemption(exemption: Json): Promise<void> {
    exemptionPreviewed = undefined;
    const answer = await call('POST', 'api/exemptions/preview', { exemption });
    if (answer.status !== 200) return showRefusal(xPanel, answer, 'Not granted');
    const r = answer.json;
    exemptionPreviewed = { exemption, digest: str(r.digest) };
    const restriction = obj(r.restriction);
    const readmits = arr(r.readmits);
    const spares = arr(r.spares);
    const networks = arr(r.networks).map(str);
    const nodes = [
      make('h3', 'Preview: nothing has been done yet'),
      make('p', `Exemption ${str(exemption.id)} from ${str(restriction.id)}: ${exemptionWho(exemption)}. Reason: ${str(exemption.reason)}`),
      make('h4', `Would let back in ${count(readmits.length, 'participant')} recently removed or refused by ${str(restriction.id)}`),
      names(readmits, (a) => ` (${str(a.what)} at ${str(a.time).slice(11, 19)})`),
      make('h4', `Would spare ${count(spares.length, 'participant')} present whom ${str(restriction.id)} covers`),
      names(spares),
    ];
    if (networks.length > 0) {
      nodes.push(
        make(
          'p',
          `Anyone joining from ${networks.join(', ')} would no longer be refused by ${str(restriction.id)}. Who that is cannot be shown here: the console never shows addresses.`,
          'hint',
        ),
      );
    }
    nodes.push(make('p', 'Other restrictions still apply to everyone this exemption covers.', 'hint'), details(`Exemption digest ${str(r.digest)}`));
    const actions = make('div', undefined, 'actions');
    actions.append(
      button('Confirm and grant', 'danger', () => void grantExemption()),
      button('Cancel', '', () => {
        exemptionPreviewed = undefined;
        xPanel.hidden = true;
        say('Cancelled: nothing was done.');
      }),
    );
    show(xPanel, ...nodes, actions);
    say('Exemption preview ready: check it, then confirm or cancel.');
  }

  async function grantExemption(): Promise<void> {
    if (exemptionPreviewed === undefined) return;
    const { exemption, digest } = exemptionPreviewed;
    exemptionPreviewed = undefined;
    const answer = await call('POST', 'api/exemptions', { exemption, digest });
    if (answer.status !== 201) return showRefusal(xPanel, answer, 'Not granted');
    show(
      xPanel,
      make('h3', `Granted exemption ${str(exemption.id)}`),
      make('p', `${exemptionWho(exemption)} ${str(exemption.restrictionId)} no longer applies to.`),
    );
    say(`Granted exemption ${str(exemption.id)}.`);
    await loadRestrictions();
  }

  async function previewRevoke(id: string): Promise<void> {
    const answer = await call('POST', `api/exemptions/${encodeURIComponent(id)}/preview-revoke`);
    if (answer.status !== 200) return showRefusal(xPanel, answer, 'Not revoked');
    const x = obj(answer.json.exemption);
    const wouldRemove = arr(answer.json.wouldRemove);
    const actions = make('div', undefined, 'actions');
    actions.append(
      button('Confirm and revoke', 'danger', () => void revoke(id)),
      button('Cancel', '', () => {
        xPanel.hidden = true;
        say('Cancelled: nothing was done.');
      }),
    );
    show(
      xPanel,
      make('h3', `Preview: revoking exemption ${id} — nothing has been done yet`),
      make('p', `${str(x.restrictionId)} applies again to ${exemptionWho(x)}.`),
      make('h4', `Would remove ${count(wouldRemove.length, 'participant')} present`),
      names(wouldRemove),
      actions,
    );
    say('Revocation preview ready: check it, then confirm or cancel.');
  }

  async function revoke(id: string): Promise<void> {
    const answer = await call('DELETE', `api/exemptions/${encodeURIComponent(id)}`);
    if (answer.status !== 200) return showRefusal(xPanel, answer, 'Not revoked');
    const removed = arr(answer.json.removed);
    const pending = arr(answer.json.pending);
    const nodes = [
      make('h3', `Revoked exemption ${id}`),
      make('p', 'The restriction applies to them again.'),
      make('h4', `Removed ${count(removed.length, 'participant')}`),
      names(removed),
    ];
    if (pending.length > 0) nodes.push(make('p', `${count(pending.length, 'removal')} pending: the media server has not confirmed yet.`, 'warning'));
    show(xPanel, ...nodes);
    say(`Revoked exemption ${id}.`);
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
      verification.textContent = `The report is unavailable. ${refusal(answer)}`;
      return;
    }
    const v = obj(answer.json.verification);
    const signatures = str(v.signatures);
    const signed =
      signatures === 'verified'
        ? `, signatures checked with the public key (fingerprint ${str(v.publicKeyFingerprint).slice(0, 16)}…)`
        : signatures === 'unchecked'
          ? '. Its signatures were NOT checked: give the console the public key (auditLog: { path, publicKey })'
          : signatures === 'none'
            ? ', not signed'
            : '';
    verification.className = v.ok === true ? (signatures === 'unchecked' ? 'warning' : 'ok') : 'error';
    verification.textContent =
      v.ok === true
        ? `Audit log verified: ${str(v.events)} events, hash chain intact${signed}.`
        : `The audit log does NOT verify (${str(v.problem)} at line ${str(v.line)}). ${sentence(str(v.message))}`;
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
      ['Joins refused', decisions.denied],
      ['Meetings ended by geoadmit', promises.meetingsEndedBySdk],
      ['Host accounts suspended', promises.hostAccountsSuspended],
      ['User data disclosed', promises.userDataDisclosures],
    ];
    const dl = make('dl', undefined, 'figures');
    for (const [label, value] of figures) {
      if (value === undefined) continue;
      const div = make('div');
      div.append(make('dt', label), make('dd', str(value)));
      dl.append(div);
    }
    el('report-summary').replaceChildren(dl);
    const text = str(answer.json.html);
    if (text !== '') {
      // Unchanged report, unchanged frame: no blank flash while it would reload.
      if (el('report-frame').srcdoc !== text) el('report-frame').srcdoc = text;
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
