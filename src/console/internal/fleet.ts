import { ErrorCode, isGeoadmitError } from '../../errors/index.js';
import type { Gate } from '../../gate/index.js';

/** Which nodes a figure counts: as the gate's fleet answers say. */
interface Coverage {
  nodes: string[];
  missing: string[];
  complete: boolean;
}

/** How long a node that stopped answering is still named as gone. */
const REMEMBER_GONE_MS = 10 * 60_000;

/**
 * The meetings an operator sees: summed across the fleet with the nodes that
 * answered. A node that stops answering is `missing` while the fleet still
 * counts it as live; once its heartbeats have lapsed the fleet no longer asks
 * it at all, so the view also names nodes it counted before and no longer
 * hears from (`gone`, for ten minutes): a hung node never silently shrinks
 * the counts. When the other nodes cannot be asked at all (the store is
 * down), this node's own count, marked incomplete and saying so.
 */
export class FleetView {
  readonly #gate: Gate;
  // Node id → when it was last counted.
  readonly #seen = new Map<string, number>();

  constructor(gate: Gate) {
    this.#gate = gate;
  }

  /** The overview as `api/overview` answers it and the event stream pushes it. */
  async overview(): Promise<Record<string, unknown>> {
    const view = await this.#ask();
    const coverage = view.coverage as Coverage;
    const now = Date.now();
    for (const id of coverage.nodes) this.#seen.set(id, now);
    const gone: { nodeId: string; lastCounted: string }[] = [];
    for (const [id, at] of this.#seen) {
      if (coverage.nodes.includes(id) || coverage.missing.includes(id)) continue;
      if (now - at > REMEMBER_GONE_MS) this.#seen.delete(id);
      else gone.push({ nodeId: id, lastCounted: new Date(at).toISOString() });
    }
    const self = typeof this.#gate.nodeId === 'string' ? { self: this.#gate.nodeId } : {};
    return gone.length === 0 ? { ...view, ...self } : { ...view, ...self, gone };
  }

  async #ask(): Promise<Record<string, unknown>> {
    const gate = this.#gate;
    const self = typeof gate.nodeId === 'string' ? gate.nodeId : 'this node';
    if (typeof gate.fleetOverview !== 'function') {
      const meetings = gate.overview();
      return { meetings, participants: count(meetings), coverage: { nodes: [self], missing: [], complete: true } satisfies Coverage };
    }
    try {
      const fleet = await gate.fleetOverview();
      return { meetings: fleet.meetings, participants: fleet.participants, coverage: fleet.coverage };
    } catch (error) {
      if (isGeoadmitError(error, ErrorCode.Closed)) throw error; // a closed gate answers 503, not a partial view
      const meetings = gate.overview();
      return {
        meetings,
        participants: count(meetings),
        coverage: { nodes: [self], missing: [], complete: false } satisfies Coverage,
        problem: 'The other nodes could not be asked (the restriction store did not answer): only this node is counted.',
      };
    }
  }
}

function count(meetings: readonly { participants: number }[]): number {
  let n = 0;
  for (const m of meetings) n += m.participants;
  return n;
}
