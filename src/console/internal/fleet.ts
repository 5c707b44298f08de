import type { Gate } from '../../gate/index.js';

/** Which nodes a figure counts: as the gate's fleet answers say. */
export interface Coverage {
  nodes: string[];
  missing: string[];
  complete: boolean;
}

/**
 * The meetings an operator sees: summed across the fleet with the nodes that
 * answered. When the other nodes cannot be asked at all (the store is down),
 * this node's own count, marked incomplete and saying so — never an error
 * page where a partial view with a warning is what the operator needs.
 */
export async function fleetOverview(gate: Gate): Promise<Record<string, unknown>> {
  const self = typeof gate.nodeId === 'string' ? gate.nodeId : 'this node';
  if (typeof gate.fleetOverview !== 'function') {
    const meetings = gate.overview();
    return { meetings, participants: count(meetings), coverage: { nodes: [self], missing: [], complete: true } satisfies Coverage };
  }
  try {
    const fleet = await gate.fleetOverview();
    return { meetings: fleet.meetings, participants: fleet.participants, coverage: fleet.coverage };
  } catch {
    const meetings = gate.overview();
    return {
      meetings,
      participants: count(meetings),
      coverage: { nodes: [self], missing: [], complete: false } satisfies Coverage,
      problem: 'The other nodes could not be asked (the restriction store did not answer): only this node is counted.',
    };
  }
}

function count(meetings: readonly { participants: number }[]): number {
  let n = 0;
  for (const m of meetings) n += m.participants;
  return n;
}
