// 2. Hot addresses: the same 1,000 addresses over and over.
import { compare, flags, printTable, save, sizes, speedup, target } from '../lib/common.mjs';
import { checkFloor, components, createFloor, createSyncHook, syncChurnCycler, syncTargets } from '../lib/naive.mjs';
import { asyncCycler, churnCycler, cycler, joinSetup, joinsFor } from '../lib/setup.mjs';

const { quick, out } = flags();
const size = sizes(quick);
const { buffer, addresses, resolver, gate, naive } = await joinSetup(size);
const hot = addresses.slice(0, 1000);
const joins = joinsFor(hot);
const sync = createSyncHook(buffer, ['CN']);
sync.events.on('decision', () => {});
const floor = createFloor(buffer, ['CN']);
checkFloor(floor, naive.reader, hot);

console.log(`\n2. Hot addresses (the same 1,000 of the mix, repeated; ${size.rounds} rounds of ${size.batch.toLocaleString('en-US')})`);
const results = await compare(
  [
    { name: 'gate.admit', run: asyncCycler(joins, (j) => gate.admit(j)) },
    { name: 'gate.admit churn', run: churnCycler(joins, gate) },
    { name: 'naive hook', run: asyncCycler(joins, (j) => naive.admit(j)) },
    { name: 'sync hook churn', run: syncChurnCycler(joins, sync) },
    { name: 'await only', run: asyncCycler(joins, (j) => Promise.resolve(j)) },
    { name: 'floor', run: cycler(hot, (a) => floor.blocked(a)) },
    { name: 'reader.get', run: cycler(hot, (a) => naive.reader.get(a)) },
    { name: 'resolver.resolve', run: cycler(hot, (a) => resolver.resolve(a)) },
  ],
  size,
);
printTable(results, 'naive hook');
const targets = [
  target('hot admit >= 10x the naive hook', speedup(results, 'gate.admit', 'naive hook') >= 10, `${speedup(results, 'gate.admit', 'naive hook')}x`),
  target(
    'hot admit with churn >= 10x the naive hook',
    speedup(results, 'gate.admit churn', 'naive hook') >= 10,
    `${speedup(results, 'gate.admit churn', 'naive hook')}x`,
  ),
  ...syncTargets(results, 'hot: '),
];
const breakdown = components(results, 'hot: ');
save(out, '2-hot', { results, targets, breakdown });
