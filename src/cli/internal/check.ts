import { normalizeAddress } from '../../address/index.js';
import type { Decision, Join } from '../../gate/index.js';
import { type CliContext, CliExitCode, CliUsageError } from './context.js';
import { openDatabases } from './db.js';
import { loadRestrictions } from './files.js';
import { restrictionInScope } from '../../restrictions/index.js';
import { capabilityWarnings, formatReason, inactiveNotes, parseAt, setupGate } from './gate-setup.js';

/** Options of `geoadmit check`. */
interface CheckOptions {
  restrictions: string;
  meeting: string;
  host?: string;
  participant: string;
  ip?: string;
  peer?: string;
  xff: string[];
  forwarded: string[];
  trustedProxy: string[];
  at?: string;
  db: string[];
  json?: boolean;
}

function buildJoin(options: CheckOptions): Join {
  if (options.ip !== undefined && options.peer !== undefined) {
    throw new CliUsageError('--ip and --peer name the same thing (the socket peer address); give one');
  }
  const peerAddress = options.peer ?? options.ip;
  if (peerAddress === undefined) throw new CliUsageError('missing --ip <addr> (or --peer <addr> with --xff / --forwarded)');
  // An address typed on the command line is the user's input, refused like `lookup` refuses it
  // (the gate itself would admit it as an unknown location, which hides the typo).
  const normalized = normalizeAddress(peerAddress);
  if (!normalized.ok) {
    const flag = options.peer === undefined ? '--ip' : '--peer';
    throw new CliUsageError(`${flag} ${JSON.stringify(peerAddress.slice(0, 100))} is not a valid address: ${normalized.detail}`);
  }
  const headers: Record<string, string[]> = {};
  if (options.xff.length > 0) headers['x-forwarded-for'] = options.xff;
  if (options.forwarded.length > 0) headers['forwarded'] = options.forwarded;
  if (Object.keys(headers).length > 0 && options.trustedProxy.length === 0) {
    throw new CliUsageError('forwarded headers are only believed from trusted proxies: add --trusted-proxy <cidr> covering the peer address');
  }
  const join: Join = { meetingId: options.meeting, participantId: options.participant, peerAddress };
  if (options.host !== undefined) join.hostAccountId = options.host;
  if (Object.keys(headers).length > 0) join.headers = headers;
  return join;
}

function printDecision(ctx: CliContext, join: Join, decision: Decision): void {
  const c = ctx.out;
  const loc = decision.location;
  const where = loc.country === undefined ? `unknown location (${loc.unknown ?? 'unknown'})` : [loc.country, ...loc.subdivisions].join(' / ');
  const verdict = decision.admitted ? c.green(c.bold('ADMITTED')) : c.red(c.bold('DENIED'));
  const via = [loc.network === undefined ? undefined : `network ${loc.network}`, loc.source].filter((f) => f !== undefined).join(', ');
  ctx.print(`${verdict}  meeting ${join.meetingId}  ${decision.address ?? join.peerAddress} → ${where}  ${c.dim(via)}`);
  for (const r of decision.reasons) ctx.print(`  ${c.red('denied')}: ${formatReason(r)}`);
  for (const r of decision.dryRun) ctx.print(`  ${c.yellow('dry-run')}: ${formatReason(r)}`);
}

/** `geoadmit check`: one join's decision. Exit 0 admitted, 1 denied. */
export async function runCheck(ctx: CliContext, options: CheckOptions): Promise<number> {
  const join = buildJoin(options);
  const at = parseAt(options.at);
  const restrictions = await loadRestrictions(ctx.cwd, options.restrictions);
  const { resolver, attribution } = await openDatabases(ctx.cwd, options.db);
  const gate = setupGate(resolver, restrictions, at, options.trustedProxy);
  let decision: Decision;
  try {
    decision = await gate.admit(join);
  } catch (error) {
    throw new CliUsageError((error as Error).message, [], { cause: error });
  } finally {
    await gate.close();
    await resolver.close();
  }
  const warnings = capabilityWarnings(resolver, restrictions);
  // Only the restrictions that would apply to this join: their window is why it was admitted.
  const inactive = inactiveNotes(
    restrictions.filter((r) => restrictionInScope(r, join.meetingId, join.hostAccountId)),
    at,
  );
  if (options.json === true) {
    ctx.printJson({
      meetingId: join.meetingId,
      ...decision,
      at: new Date(at).toISOString(),
      ...(inactive.length > 0 ? { notes: inactive } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(attribution === undefined ? {} : { attribution }),
    });
  } else {
    printDecision(ctx, join, decision);
    for (const n of inactive) ctx.print(`  ${ctx.out.yellow('note')}: ${n}`);
    for (const w of warnings) ctx.note(ctx.err.yellow(`warning: ${w}`));
    if (attribution !== undefined) ctx.note(ctx.err.dim(attribution));
  }
  return decision.admitted ? CliExitCode.Ok : CliExitCode.Findings;
}
