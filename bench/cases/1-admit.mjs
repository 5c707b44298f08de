// 1. admit vs naive hook vs raw lookup, over the uncached seeded mix.
import { compare, flags, printTable, save, sizes, speedup, target } from '../lib/common.mjs';
import { checkFloor, components, createFloor, createSyncHook, syncChurnCycler, syncTargets } from '../lib/naive.mjs';
import { asyncCycler, churnCycler, cycler, joinSetup, joinsFor } from '../lib/setup.mjs';

const { quick, out } = flags();
const size = sizes(quick);
const { buffer, addresses, resolver, gate, naive } = await joinSetup(size);
const joins = joinsFor(addresses);
// The synchronous hook a competitor writes, with a decision listener as the gate has; and the floor.
const sync = createSyncHook(buffer, ['CN']);
sync.events.on('decision', () => {});
const floor = createFloor(buffer, ['CN']);
checkFloor(floor, naive.reader, addresses);
const FLOOR_NS = 360; // parse + tree walk + record memo, the floor named in issue 8

console.log(
  `\n1. admit vs naive hook vs raw lookup (${size.ipv4.toLocaleString('en-US')} IPv4 + ${size.ipv6.toLocaleString('en-US')} IPv6, ${size.rounds} rounds of ${size.batch.toLocaleString('en-US')})`,
);
const results = await compare(
  [
    { name: 'gate.admit', run: asyncCycler(joins, (j) => gate.admit(j)) },
    { name: 'gate.admit churn', run: churnCycler(joins, gate) },
    { name: 'naive hook', run: asyncCycler(joins, (j) => naive.admit(j)) },
    { name: 'sync hook churn', run: syncChurnCycler(joins, sync) },
    { name: 'await only', run: asyncCycler(joins, (j) => Promise.resolve(j)) },
    { name: 'floor', run: cycler(addresses, (a) => floor.blocked(a)) },
    { name: 'reader.get', run: cycler(addresses, (a) => naive.reader.get(a)) },
    { name: 'resolver.resolve', run: cycler(addresses, (a) => resolver.resolve(a)) },
  ],
  size,
);
printTable(results, 'naive hook');
const admitNs = results[0].nsPerOp;
const targets = [
  target('admit >= 3x the naive hook', speedup(results, 'gate.admit', 'naive hook') >= 3, `${speedup(results, 'gate.admit', 'naive hook')}x`),
  target('admit >= 1.0x bare reader.get', speedup(results, 'gate.admit', 'reader.get') >= 1, `${speedup(results, 'gate.admit', 'reader.get')}x`),
  target(
    'admit with churn >= 3x the naive hook',
    speedup(results, 'gate.admit churn', 'naive hook') >= 3,
    `${speedup(results, 'gate.admit churn', 'naive hook')}x`,
  ),
  target(
    'admit with churn >= 1.0x bare reader.get',
    speedup(results, 'gate.admit churn', 'reader.get') >= 1,
    `${speedup(results, 'gate.admit churn', 'reader.get')}x`,
  ),
  target('stretch: admit within 1.5x of the 0.36 µs floor', admitNs <= FLOOR_NS * 1.5, `${(admitNs / FLOOR_NS).toFixed(2)}x the floor`),
  ...syncTargets(results, ''),
];
const breakdown = components(results, '');
save(out, '1-admit', { inputs: { ipv4: size.ipv4, ipv6: size.ipv6 }, results, targets, breakdown });
