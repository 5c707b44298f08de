// 4 and 5a. Live enforcement and roster memory on one large roster:
// 1,000,000 participants (ids of 20 characters) in 100,000 meetings, 1,000
// meetings per host account. Memory is measured while the roster is built;
// then restrict/preview are timed meeting-scoped, account-scoped and `all`.
import { createGate, MaxMindResolver, normalizeAddress } from 'geoadmit';
import { addressMix, cnTakedown, DB_PATH, flags, heapUsed, round1, save, sizes, target, timeMs } from '../lib/common.mjs';

const { quick, out } = flags();
const size = sizes(quick);
const addresses = addressMix(normalizeAddress, size);
const geo = await MaxMindResolver.open(DB_PATH);
let removedCount = 0;
const gate = createGate({ geo, onRemove: () => void removedCount++ });
gate.on('decision', () => {});
gate.on('removal', () => {});

const perMeeting = Math.max(1, Math.round(size.roster / size.meetings));
// Ids exist before the baseline: the figure is memory beyond the id strings themselves.
const participantIds = Array.from({ length: size.roster }, (_, i) => `participant-${String(i).padStart(8, '0')}`);
const meetingIds = Array.from({ length: size.meetings }, (_, m) => `meeting-${String(m).padStart(6, '0')}`);
const accountIds = Array.from({ length: Math.ceil(size.meetings / size.meetingsPerAccount) }, (_, a) => `account-${String(a).padStart(4, '0')}`);
const before = heapUsed();
const t0 = process.hrtime.bigint();
for (let i = 0; i < size.roster; i++) {
  const m = Math.floor(i / perMeeting) % size.meetings;
  await gate.admit({
    meetingId: meetingIds[m],
    hostAccountId: accountIds[Math.floor(m / size.meetingsPerAccount)],
    participantId: participantIds[i],
    peerAddress: addresses[i % addresses.length],
  });
}
const fillMs = Number(process.hrtime.bigint() - t0) / 1e6;
const after = heapUsed();
const bytesPer = (after.heap - before.heap) / gate.size;

console.log(
  `\n5a. Roster memory: ${gate.size.toLocaleString('en-US')} present participants in ${size.meetings.toLocaleString('en-US')} meetings (admitted in ${(fillMs / 1000).toFixed(1)} s)`,
);
console.log(`  heap beyond the id strings: ${((after.heap - before.heap) / 2 ** 20).toFixed(1)} MiB = ${bytesPer.toFixed(0)} bytes per participant`);
const memTarget = target('roster <= 300 bytes per participant beyond the ids', bytesPer <= 300, `${bytesPer.toFixed(0)} B`);

// Meetings and accounts to act on, spread over the roster; lifted after each timing.
const reps = quick ? 5 : 20;
const meetingDoc = (k) => cnTakedown(`live-meeting-${k}`, { meetings: [meetingIds[(k * 7919) % size.meetings]] });
const accountDoc = (k) => cnTakedown(`live-account-${k}`, { hostAccounts: [accountIds[(k * 31) % accountIds.length]] });
const allDoc = {
  id: 'live-all',
  kind: 'sanctions',
  authority: { name: 'Operator compliance', jurisdiction: 'US' },
  regions: ['CN'],
  scope: { all: true },
  mode: 'enforce',
};

console.log(`\n4. Live enforcement on that roster (median of ${reps}; restrict removes and calls onRemove for each CN participant)`);
const rows = {};
rows['preview meeting'] = await timeMs((k) => gate.preview(meetingDoc(k)), reps);
rows['preview account'] = await timeMs((k) => gate.preview(accountDoc(k)), Math.min(reps, accountIds.length));
rows['preview all'] = await timeMs(() => gate.preview(allDoc), quick ? 2 : 3);
rows['restrict meeting'] = await timeMs((k) => gate.restrict(meetingDoc(k)), reps);
rows['restrict account'] = await timeMs((k) => gate.restrict(accountDoc(k)), Math.min(reps, accountIds.length));
const removedBeforeAll = removedCount;
rows['restrict all'] = await timeMs(() => gate.restrict(allDoc), 1);
const removedByAll = removedCount - removedBeforeAll;
for (const [name, r] of Object.entries(rows))
  console.log(`  ${name.padEnd(18)} ${r.ms.toFixed(3).padStart(10)} ms  (min ${r.min.toFixed(3)}, max ${r.max.toFixed(3)})`);
console.log(`  restrict all removed ${removedByAll.toLocaleString('en-US')} participants`);
const targets = [
  memTarget,
  target('meeting-scoped restrict < 1 ms', rows['restrict meeting'].ms < 1, `${rows['restrict meeting'].ms} ms`),
  target('all restrict < 300 ms', rows['restrict all'].ms < 300, `${rows['restrict all'].ms} ms`),
  target('stretch: all restrict < 100 ms', rows['restrict all'].ms < 100, `${rows['restrict all'].ms} ms`),
];
save(out, '4-enforcement', {
  roster: {
    participants: size.roster,
    meetings: size.meetings,
    meetingsPerAccount: size.meetingsPerAccount,
    fillMs: round1(fillMs),
    heapBytesPerParticipant: Math.round(bytesPer),
  },
  timings: rows,
  removedByAll,
  targets,
});
