/**
 * One `process.on('exit')` listener for every open sink. A listener per sink
 * would trip Node's MaxListenersExceededWarning after ten sinks and cost a
 * registration per sink; one listener that flushes a set does neither.
 */

const flushers = new Set<() => void>();

function flushAll(): void {
  // Each sink flushes what it can; one that throws must not keep the others from theirs.
  for (const flush of flushers) {
    try {
      flush();
    } catch {
      // The process is exiting: nothing is left to report to.
    }
  }
}

/**
 * Runs `flush` when the process exits, until the returned function is
 * called. The process listener exists while at least one flush is registered.
 */
export function flushOnExit(flush: () => void): () => void {
  if (flushers.size === 0) process.on('exit', flushAll);
  flushers.add(flush);
  return () => {
    if (!flushers.delete(flush)) return;
    if (flushers.size === 0) process.off('exit', flushAll);
  };
}
