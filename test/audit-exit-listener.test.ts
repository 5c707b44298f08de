/**
 * Open sinks flush at process exit through one `exit` listener, not one per
 * sink: twelve sinks would otherwise trip Node's MaxListenersExceededWarning.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createJsonlAuditSink } from 'geoadmit/audit';
import { makeTempDir } from './helpers/temp-dir.js';

const tmp = makeTempDir('geoadmit-exit-');
afterAll(() => tmp.cleanup());

describe('audit sinks and process exit', () => {
  it('twelve open sinks add one exit listener, and closing them all removes it', async () => {
    const before = process.listenerCount('exit');
    const sinks = Array.from({ length: 12 }, (_, i) => createJsonlAuditSink(join(tmp.dir, `exit-${i}.jsonl`)));
    expect(process.listenerCount('exit')).toBe(before + 1);
    await Promise.all(sinks.slice(0, 11).map((s) => s.close()));
    expect(process.listenerCount('exit')).toBe(before + 1);
    await sinks[11]?.close();
    expect(process.listenerCount('exit')).toBe(before);
  });
});
