/**
 * What waits in an audit sink's queue to be written, and the batches the
 * queue is encoded into (chained and hashed) before they are written.
 */
import type { AuditEvent } from '../../events/types.js';

/** Events the sink could not keep (buffer full), recorded by one `audit.gap` line where they were lost. */
export class GapEntry {
  dropped = 1;
  readonly from: string;
  to: string;
  readonly types: Record<string, number>;
  constructor(time: string, type: string) {
    this.from = time;
    this.to = time;
    this.types = { [type]: 1 };
  }
}

/** A signed checkpoint record asked for (timer, close, exit). */
export const SIGN = Object.freeze({ sign: true });

/**
 * What waits to be written: an event already serialised (canonical JSON,
 * taken when it was recorded, so a caller changing the object afterwards
 * changes nothing), a gap, or a signature.
 */
export type QueueEntry = string | GapEntry | typeof SIGN;

export type LineKind = 'event' | 'gap' | 'start' | 'sign';

/**
 * Lines encoded (chained, hashed) and possibly partly written: a batch must be
 * finished before anything else is encoded, also across a failure and retry.
 */
export interface Batch {
  bytes: Buffer;
  offset: number;
  /** Queue entries it consumed, by kind. */
  events: number;
  gaps: number;
  signs: number;
  start: boolean;
  lastSeq: number;
  lastHash: string;
  lastKind: LineKind;
}

/**
 * The record as written: `error` events lose their `error` object (it may hold
 * stacks, request data or cycles), only `message` / `code` and context stay.
 */
export function recordOf(event: AuditEvent): object {
  if (event.type !== 'error') return event;
  const { error: _omitted, ...rest } = event;
  return rest;
}
