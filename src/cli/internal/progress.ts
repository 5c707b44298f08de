import cliProgress from 'cli-progress';
import type { CliContext } from './context.js';

/** A progress bar over bytes, or nothing. */
interface ByteProgress {
  /** Bytes done so far. */
  update(done: number): void;
  /** Remove the bar (it leaves no trace in the terminal). */
  stop(): void;
}

/**
 * A progress bar on stderr for long work over files of known size — only
 * when stderr is a terminal (never in a pipe or a log file), and not when
 * the caller turned it off. Redrawn at most a few times a second.
 */
export function byteProgress(ctx: CliContext, label: string, total: number, enabled = true): ByteProgress | undefined {
  if (!enabled || ctx.io.stderr.isTTY !== true || total <= 0) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: ctx.io.stderr as unknown as NodeJS.WritableStream,
      format: `${label} [{bar}] {percentage}% | {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done) => bar.update(Math.min(done, total)),
    stop: () => bar.stop(),
  };
}
