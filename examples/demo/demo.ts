/**
 * The demo behind `npm run demo`: the 2020 story, replayed with geoadmit.
 *
 * Four public commemoration meetings run on a real signaling server
 * (examples/signaling-server). Participants connect over WebSockets through
 * a trusted reverse proxy (loopback) that sets X-Forwarded-For to their real
 * address; the real GeoLite2 country database locates them. Then demands
 * arrive through the operator's admin API, and the terminal shows what
 * happens to whom — and what does not happen: no meeting ends, no host
 * account is suspended, a demand about Hong Kong is refused. Last, the audit
 * log becomes a transparency report.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createGate, MaxMindResolver, type Gate } from 'geoadmit';
import { createJsonlAuditSink, verifyAuditLog, type DecisionEvent, type JsonlAuditSink } from 'geoadmit/audit';
import { buildTransparencyReport, renderReportHtml, renderReportMarkdown } from 'geoadmit/report';
import { createConsole } from 'geoadmit/console';
import pc from 'picocolors';
import { connect, type Refused, type SignalingClient } from '../signaling-server/client.js';
import { CloseCode } from '../signaling-server/protocol.js';
import { createSignalingServer, type SignalingServer } from '../signaling-server/server.js';

/** Who joins which meeting, from where. */
interface Person {
  meetingId: string;
  hostAccountId: string;
  participantId: string;
  address: string;
  /** What the address is, for the narration. */
  label: string;
}

const AUTHORITY = { name: 'Example Authority', jurisdiction: 'CN' };

const PEOPLE: Person[] = [
  { meetingId: 'meeting-A', hostAccountId: 'acct-a', participantId: 'host-A (US)', address: '8.8.8.8', label: 'US' },
  { meetingId: 'meeting-A', hostAccountId: 'acct-a', participantId: 'guest-A (HK)', address: '202.181.0.1', label: 'Hong Kong' },
  { meetingId: 'meeting-B', hostAccountId: 'acct-b', participantId: 'host-B (US)', address: '8.8.8.8', label: 'US' },
  { meetingId: 'meeting-B', hostAccountId: 'acct-b', participantId: 'guest-B1 (HK)', address: '202.181.0.1', label: 'Hong Kong' },
  { meetingId: 'meeting-B', hostAccountId: 'acct-b', participantId: 'guest-B2 (CN)', address: '1.2.4.8', label: 'mainland China' },
  { meetingId: 'meeting-B', hostAccountId: 'acct-b', participantId: 'guest-B3 (CN)', address: '223.5.5.5', label: 'mainland China' },
  { meetingId: 'meeting-C', hostAccountId: 'acct-c', participantId: 'host-C (HK)', address: '202.181.0.1', label: 'Hong Kong' },
  { meetingId: 'meeting-C', hostAccountId: 'acct-c', participantId: 'guest-C1 (US)', address: '8.8.8.8', label: 'US' },
  { meetingId: 'meeting-C', hostAccountId: 'acct-c', participantId: 'guest-C2 (CN)', address: '1.2.4.8', label: 'mainland China' },
  { meetingId: 'meeting-C', hostAccountId: 'acct-c', participantId: 'guest-C3 (LAN)', address: '192.168.1.20', label: 'private network' },
  { meetingId: 'meeting-D', hostAccountId: 'acct-d', participantId: 'host-D (US)', address: '8.8.8.8', label: 'US' },
  { meetingId: 'meeting-D', hostAccountId: 'acct-d', participantId: 'guest-D1 (CN)', address: '223.5.5.5', label: 'mainland China' },
  { meetingId: 'meeting-D', hostAccountId: 'acct-d', participantId: 'guest-D2 (?)', address: '0x7f.1', label: 'malformed header' },
];

const say = (text = ''): void => console.log(text);
const step = (n: number, text: string): void => say(`\n${pc.bold(pc.cyan(`${n}.`))} ${pc.bold(text)}`);
const ok = (text: string): string => pc.green(`✔ ${text}`);
const no = (text: string): string => pc.red(`✖ ${text}`);

/** The demo's moving parts: a gate on the real GeoLite2 database, an audit log, the signaling server. */
interface DemoWorld {
  dir: string;
  auditPath: string;
  dbPath: string;
  geo: MaxMindResolver;
  gate: Gate;
  sink: JsonlAuditSink;
  server: SignalingServer;
  adminToken: string;
  decisions: Map<string, DecisionEvent>;
  clients: Map<string, SignalingClient>;
}

async function startWorld(requestHandler?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void, port = 0): Promise<DemoWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'geoadmit-demo-'));
  const auditPath = join(dir, 'audit.jsonl');
  const dbPath = createRequire(import.meta.url).resolve('@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb');
  const adminToken = randomBytes(24).toString('base64url');

  const geo = await MaxMindResolver.open([dbPath]);
  let server: SignalingServer | undefined;
  const gate = createGate({
    geo,
    // The demo's "reverse proxy" is the clients themselves, on loopback, setting X-Forwarded-For.
    trustedProxies: ['127.0.0.0/8'],
    audit: { ip: 'truncate' },
    onRemove: (participant, decision) => server?.removeParticipant(participant, decision),
  });
  const sink = createJsonlAuditSink(auditPath, { fsync: 'never' });
  sink.attach(gate);
  const decisions = new Map<string, DecisionEvent>();
  gate.on('decision', (e) => decisions.set(`${e.meetingId}/${e.participantId}`, e));
  server = await createSignalingServer({ gate, adminToken, port, ...(requestHandler ? { requestHandler } : {}) });
  return { dir, auditPath, dbPath, geo, gate, sink, server, adminToken, decisions, clients: new Map() };
}

async function stopWorld(world: DemoWorld): Promise<void> {
  for (const c of world.clients.values()) await c.close();
  await world.server.close();
  await world.gate.close();
  await world.sink.close();
  await world.geo.close?.();
}

/** Connect a person through the "proxy"; resolves to the client when admitted, or the server's refusal of the upgrade. */
async function join1(world: DemoWorld, p: Person): Promise<{ client: SignalingClient } | { refused: Refused }> {
  const target = { meetingId: p.meetingId, participantId: p.participantId, hostAccountId: p.hostAccountId };
  const outcome = await connect(world.server.url, target, { forwardedFor: p.address });
  if (!outcome.admitted) return { refused: outcome.refused };
  await outcome.client.next('joined');
  world.clients.set(p.participantId, outcome.client);
  return { client: outcome.client };
}

/** Runs the demo; resolves to the process exit code. `--console` runs the operator console instead. */
export async function main(args: readonly string[] = []): Promise<number> {
  if (args.includes('--console')) return runConsole(args);
  const world = await startWorld();
  const { dir, auditPath, dbPath, geo, gate, adminToken, decisions, clients } = world;
  const running = world.server;

  const admin = async (method: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(running.adminUrl + path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  /** Connect a person through the "proxy" and report what the gate decided. */
  const enter = async (p: Person): Promise<void> => {
    const outcome = await join1(world, p);
    const d = decisions.get(`${p.meetingId}/${p.participantId}`);
    const where = d?.location.country ? `${d.location.country} via ${d.location.network ?? '?'}` : `unknown location (${d?.location.unknown ?? '?'})`;
    const who = `${p.participantId.padEnd(15)} ${pc.dim(`${p.address.padEnd(13)} ${p.label.padEnd(16)}`)} → ${where.padEnd(34)}`;
    if ('client' in outcome) {
      say(`   ${who} ${ok('admitted')}`);
    } else {
      const { status, body } = outcome.refused;
      say(`   ${who} ${no(`denied: HTTP ${status} ${String(body.error)} — no socket was opened`)}`);
      const notice = body.notice as { text?: string; appeal?: { url?: string } } | undefined;
      if (notice?.text !== undefined) say(`   ${' '.repeat(15)} ${pc.dim(`the participant sees: “${notice.text}”`)}`);
    }
  };

  const roster = (): void => {
    for (const m of ['meeting-A', 'meeting-B', 'meeting-C', 'meeting-D']) {
      const present = gate.participants(m).map((p) => p.participantId);
      say(`   ${pc.bold(m)}: ${present.length} present — ${present.join(', ')}`);
    }
  };

  try {
    say(pc.bold('geoadmit demo — participant-level enforcement of jurisdiction restrictions'));
    say(pc.dim(`signaling server ${running.url} · admin API ${running.adminUrl}/restrictions`));
    const db = geo.databases[0];
    say(pc.dim(`database ${basename(dbPath)} (${db?.databaseType ?? '?'}, built ${db?.buildDate.slice(0, 10) ?? '?'}); trusted proxy 127.0.0.0/8`));
    say(pc.dim('This demo uses GeoLite2 data created by MaxMind, available from https://www.maxmind.com.'));

    step(1, 'Four public commemoration meetings fill up (A: US + Hong Kong only; B, C: US, Hong Kong and mainland participants; D: host account acct-d).');
    for (const p of PEOPLE) await enter(p);

    step(2, 'A demand arrives: Example Authority (CN) orders action against meetings A, B and C. The operator previews its impact first.');
    const demand = {
      id: 'demand-1',
      kind: 'takedown',
      authority: AUTHORITY,
      regions: ['CN'],
      scope: { meetings: ['meeting-A', 'meeting-B', 'meeting-C'] },
      reference: 'letter 2020-117',
      notice: {
        text: 'This meeting is not available in mainland China following a demand by Example Authority (letter 2020-117).',
        url: 'https://transparency.example.org/demands/2020-117',
      },
      appeal: { url: 'https://transparency.example.org/appeal' },
    };
    const preview = await admin('POST', '/restrictions/preview', demand);
    say(`   preview: would remove ${names(preview.json.matched)}; leaves ${list(preview.json.meetingsUndisturbed)} undisturbed`);
    const first = await admin('POST', '/restrictions', demand);
    say(`   POST /restrictions → ${pc.bold(String(first.status))}; removed ${names(first.json.removed)}`);
    const saw = await settle(clients, first.json.removed);
    say(`   ${ok('only participants located in mainland China were removed (close 4451); the US and Hong Kong hosts stay')}`);
    const [firstRemoved, seen] = [...saw][0] ?? [];
    if (firstRemoved !== undefined && seen !== undefined) {
      say(`   what ${firstRemoved} saw, in order:`);
      say(`     message  ${pc.italic(`“${seen.message}”`)}`);
      if (seen.notice !== undefined) say(`     notice   ${pc.italic(`“${seen.notice}”`)}${seen.appeal ? ` · appeal: ${seen.appeal}` : ''}`);
      say(`     close    ${seen.code} ${pc.italic(`“${seen.reason}”`)}`);
    }
    say(`   ${ok(`${list(first.json.meetingsUndisturbed)} had nobody in mainland China: left undisturbed`)}`);
    const b = clients.get('host-B (US)');
    // Two of meeting B's participants were removed: host-B hears of each as it happens.
    const leftB: string[] = [];
    for (let i = 0; i < 2 && b !== undefined; i++) leftB.push((await b.next('participant-left')).participantId);
    say(`   host-B sees only ${pc.italic('"participant-left"')} for ${leftB.join(', ')} — not why`);

    step(3, 'A participant in mainland China tries to (re)join meeting B.');
    await enter({ meetingId: 'meeting-B', hostAccountId: 'acct-b', participantId: 'guest-B4 (CN)', address: '1.2.4.8', label: 'mainland China' });

    step(4, 'A second demand targets host account acct-d (every meeting it hosts).');
    const second = await admin('POST', '/restrictions', {
      id: 'demand-2',
      kind: 'takedown',
      authority: AUTHORITY,
      regions: ['CN'],
      scope: { hostAccounts: ['acct-d'] },
    });
    await settle(clients, second.json.removed);
    say(
      `   POST /restrictions → ${pc.bold(String(second.status))}; removed ${names(second.json.removed)}; host-D and the participant of unknown location stay`,
    );

    step(5, 'A third demand targets Hong Kong.');
    const third = await admin('POST', '/restrictions', {
      id: 'demand-3',
      kind: 'takedown',
      authority: AUTHORITY,
      regions: ['HK'],
      scope: { meetings: ['meeting-A', 'meeting-C'] },
    });
    say(`   POST /restrictions → ${pc.bold(String(third.status))} ${pc.yellow(String(third.json.code))}`);
    say(`   ${no(`refused: ${String(third.json.message)}`)}`);
    say(`   ${ok('Hong Kong participants are outside the authority’s jurisdiction and stay')}`);

    step(6, 'Where everyone is now. No meeting was ended, no host account suspended, no user data handed over.');
    roster();
  } finally {
    await stopWorld(world);
  }

  step(7, 'The audit log becomes a transparency report.');
  const verified = await verifyAuditLog(auditPath);
  say(`   audit log ${auditPath}: ${verified.events} events, hash chain ${verified.ok ? pc.green('intact') : pc.red(`BROKEN (${verified.problem ?? '?'})`)}`);
  const report = await buildTransparencyReport(auditPath);
  const htmlPath = join(dir, 'transparency-report.html');
  writeFileSync(htmlPath, renderReportHtml(report));
  say();
  say(renderReportMarkdown(report));
  say(`${pc.bold('HTML report:')} ${htmlPath}`);
  return verified.ok ? 0 : 1;
}

/** The demo with the operator console mounted: see {@link startConsoleDemo}. */
export interface ConsoleDemo {
  /** The console page, e.g. `http://127.0.0.1:54321/console/`. */
  readonly url: string;
  /** The one-time token the page asks for. */
  readonly token: string;
  readonly gate: Gate;
  /** The connected participants' clients by participant id (a removed one's `closed` resolves with 4451). */
  readonly clients: ReadonlyMap<string, SignalingClient>;
  readonly auditPath: string;
  close(): Promise<void>;
}

/**
 * Starts the demo's four meetings on the signaling server with the operator
 * console mounted at `/console/`, every participant connected over a
 * WebSocket, and nothing decided yet: the demands are the operator's to make.
 */
export async function startConsoleDemo(options: { port?: number } = {}): Promise<ConsoleDemo> {
  const token = randomBytes(24).toString('base64url');
  let handler: ReturnType<typeof createConsole> | undefined;
  const world = await startWorld((req, res, next) => (handler ? handler(req, res, next) : next()), options.port ?? 0);
  handler = createConsole(world.gate, { token, basePath: '/console', auditLog: world.sink });
  for (const p of PEOPLE) await join1(world, p);
  return {
    url: `${world.server.adminUrl}/console/`,
    token,
    gate: world.gate,
    clients: world.clients,
    auditPath: world.auditPath,
    async close() {
      handler?.close();
      await stopWorld(world);
    },
  };
}

/** `npm run demo -- --console [--port N]`: runs until SIGINT or SIGTERM. */
async function runConsole(args: readonly string[]): Promise<number> {
  const portArg = args[args.indexOf('--port') + 1];
  const port = args.includes('--port') ? Number(portArg) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port: expected a port number, got ${String(portArg)}`);
    return 2;
  }
  const demo = await startConsoleDemo({ port });
  let stopping = false;
  for (const [participantId, client] of demo.clients) {
    // What the console's demands do to the participants' connections, as they happen.
    void client.closed.then((c) => {
      if (!stopping) say(`   ${participantId}: connection closed ${c.code} ${c.reason}`);
    });
  }
  say(pc.bold('geoadmit demo — operator console'));
  say(`   ${PEOPLE.length} participants in 4 meetings are connected over WebSockets (${demo.clients.size} admitted).`);
  say(`   console: ${pc.bold(demo.url)}`);
  say(`   token:   ${pc.bold(demo.token)}   (one-time, for this run only)`);
  say(`   audit log: ${demo.auditPath}`);
  say(pc.dim('   Try: a CN demand on meeting-A, meeting-B, meeting-C; then one for HK. Ctrl-C stops.'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('stopping…');
  stopping = true;
  await demo.close();
  return 0;
}

/** What a removed participant's client received: the `removed` message, then the close. */
interface Seen {
  message: string;
  notice: string | undefined;
  appeal: string | undefined;
  code: number;
  reason: string;
}

/** Wait until the removed participants' sockets have closed with 4451; what each of them saw, by participant id. */
async function settle(clients: Map<string, SignalingClient>, removed: unknown): Promise<Map<string, Seen>> {
  const seen = new Map<string, Seen>();
  for (const p of asRefs(removed)) {
    const client = clients.get(p.participantId);
    if (!client) continue;
    const closed = await client.closed;
    if (closed.code !== CloseCode.Removed) throw new Error(`expected ${p.participantId} to be removed with 4451, got ${closed.code}`);
    const message = client.received.find((m) => m.type === 'removed');
    if (message?.type !== 'removed') throw new Error(`${p.participantId} was closed without being told why`);
    seen.set(p.participantId, { message: message.message, notice: message.notice?.text, appeal: message.notice?.appeal?.url, ...closed });
    clients.delete(p.participantId);
  }
  return seen;
}

function asRefs(value: unknown): { meetingId: string; participantId: string }[] {
  return Array.isArray(value) ? (value as { meetingId: string; participantId: string }[]) : [];
}

function names(value: unknown): string {
  const refs = asRefs(value);
  return refs.length === 0 ? 'nobody' : refs.map((r) => `${r.participantId} from ${r.meetingId}`).join(', ');
}

function list(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.join(', ') : 'no meeting';
}
