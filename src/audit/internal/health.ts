/**
 * An audit sink's health: a failing write marks it unhealthy (attached gates
 * are told, and with `whenUnwritable: 'deny'` deny joins), retries run on a
 * timer until a write succeeds, and recovery is announced. Failures are all
 * counted; a persisting one is reported at most once per retry interval.
 */
import { ErrorCode } from '../../errors/index.js';
import type { AuditEventSource, AuditWhenUnwritable, ErrorEvent } from '../../events/types.js';
import { errorText } from '../../internal/objects.js';

/** What the health keeper needs of its sink. */
interface HealthHost {
  readonly id: string;
  readonly path: string;
  readonly policy: AuditWhenUnwritable;
  readonly retryMs: number;
  readonly clock: () => number;
  /** The counters the sink reports in `stats()`. */
  readonly stats: { failures: number; written: number; lastError: string | undefined };
  /** The attached sources, told when health changes. */
  sources(): Iterable<AuditEventSource>;
  /** Try writing again; false while it still fails. */
  retry(): boolean;
  closed(): boolean;
  emitError(event: ErrorEvent): void;
  emitRecovered(payload: { time: string; file: string; written: number; dropped: number }): void;
}

/** Whether writing works, with retries while it does not. */
export class SinkHealth {
  healthy = true;
  /** Events dropped since writing last failed (for `recovered`). */
  droppedInOutage = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #lastErrorAt = Number.NEGATIVE_INFINITY;
  readonly #host: HealthHost;

  constructor(host: HealthHost) {
    this.#host = host;
  }

  /** A write failed. */
  fail(error: unknown): void {
    const host = this.#host;
    host.stats.failures++;
    const message = `audit log ${host.path}: ${errorText(error)}`;
    host.stats.lastError = message;
    const wasHealthy = this.healthy;
    this.healthy = false;
    if (wasHealthy) {
      this.droppedInOutage = 0;
      for (const source of host.sources()) source.setAuditHealth?.(host.id, false, host.policy);
    }
    this.#scheduleRetry();
    // Every failure is counted; retries of a persisting failure are reported at most once per retry interval.
    const now = host.clock();
    if (!wasHealthy && now - this.#lastErrorAt < host.retryMs) return;
    this.#lastErrorAt = now;
    const event: ErrorEvent = { type: 'error', time: new Date(now).toISOString(), context: 'audit', message, file: host.path, error };
    const code = (error as { code?: unknown } | null)?.code;
    event.code = typeof code === 'string' ? code : ErrorCode.AuditIo;
    host.emitError(event);
  }

  /** Writing works again. */
  recover(): void {
    const host = this.#host;
    this.healthy = true;
    this.stop();
    for (const source of host.sources()) source.setAuditHealth?.(host.id, true, host.policy);
    host.emitRecovered({
      time: new Date(host.clock()).toISOString(),
      file: host.path,
      written: host.stats.written,
      dropped: this.droppedInOutage,
    });
  }

  /** No more retries (recovered, or the sink closed). */
  stop(): void {
    if (this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#host.closed()) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#host.retry()) this.#scheduleRetry();
    }, this.#host.retryMs);
    this.#retryTimer.unref();
  }
}
