// 8. Hostile input (docs/threat-model.md): how fast crafted databases and oversized
// restriction documents are refused, and how long a database reload can hold
// the event loop. Figures for docs/performance.md; never asserted here.
import { createGate, MaxMindResolver, StaticResolver, validateRestriction } from 'geoadmit';
import { cycleMmdb, fanOutMmdb, metadataFanOutMmdb } from '../lib/crafted-mmdb.mjs';
import { DB_PATH, flags, round1, save, target, timeMs } from '../lib/common.mjs';

const { quick, out } = flags();
const reps = quick ? 3 : 15;
const result = {};
console.log('\n8. Hostile input');

// --- crafted databases --------------------------------------------------------
result.craftedDb = {};
for (const [name, bytes] of [
  ['fan-out 2^40', fanOutMmdb(40)],
  ['pointer cycle', cycleMmdb()],
  ['metadata fan-out', metadataFanOutMmdb(40)],
]) {
  const t = await timeMs(() => {
    try {
      MaxMindResolver.fromBuffers([{ name, buffer: bytes }]);
    } catch (error) {
      if (error.code !== 'E_DB_CORRUPT') throw error;
      return;
    }
    throw new Error(`${name} was not refused`);
  }, reps);
  console.log(`  ${name} (${bytes.length} bytes) refused with E_DB_CORRUPT in ${t.ms} ms (median of ${reps})`);
  result.craftedDb[name] = { bytes: bytes.length, ...t };
}
const slowestRefusal = Math.max(...Object.values(result.craftedDb).map((r) => r.max));
result.targets = [target('crafted database refused within a second', slowestRefusal < 1000, `slowest ${slowestRefusal} ms`)];

// --- oversized restriction documents ------------------------------------------
const base = { id: 'r', authority: { name: 'A', jurisdiction: 'CN' }, regions: ['CN'], scope: { meetings: ['m'] } };
const fields = quick ? 200_000 : 880_000;
const wide = { ...base };
for (let i = 0; i < fields; i++) wide[`unknown_field_${i}`] = 'x';
const refuse = (doc) => () => {
  try {
    validateRestriction(doc);
  } catch (error) {
    if (error.code !== 'E_INVALID_RESTRICTION') throw error;
    return;
  }
  throw new Error('not refused');
};
const keys = await timeMs(() => Object.keys(wide), reps);
const wideT = await timeMs(refuse(wide), reps);
const longT = await timeMs(refuse({ ...base, reference: 'r'.repeat(10 * 1024 * 1024) }), reps);
console.log(`  document with ${fields.toLocaleString('en-US')} unknown fields refused in ${wideT.ms} ms (listing its keys alone: ${keys.ms} ms)`);
console.log(`  10 MB string field refused in ${longT.ms} ms`);
result.documents = { fields, refusedMs: wideT, objectKeysMs: keys, tenMbStringMs: longT };

// --- reload and the event loop --------------------------------------------------
const geo = await MaxMindResolver.open(DB_PATH);
const gate = createGate({ geo: new StaticResolver({ '1.2.4.0/24': 'CN' }) });
let worst = 0;
let took = 0;
for (let i = 0; i < (quick ? 2 : 5); i++) {
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await geo.reload();
  took = Math.max(took, performance.now() - t0);
  clearInterval(ticker);
}
await geo.close();
await gate.close();
console.log(`  GeoLite2 country reload: up to ${round1(took)} ms, longest event-loop stall ${round1(worst)} ms`);
result.reload = { maxMs: round1(took), worstStallMs: round1(worst) };
result.targets.push(target('a reload never blocks the event loop for a second', worst < 1000, `${round1(worst)} ms`));

save(out, '8-hostile', result);
