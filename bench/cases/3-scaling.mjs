// 3. Restriction scaling: join cost with 10 vs 100,000 restrictions registered
// on other meetings and accounts, and with 1,000 `all`-scoped sanctions on top.
import { createGate, MaxMindResolver, normalizeAddress } from 'geoadmit';
import { addressMix, cnTakedown, compare, DB_PATH, flags, printTable, round1, save, sizes, target, timeMs } from '../lib/common.mjs';
import { asyncCycler, joinsFor } from '../lib/setup.mjs';

const { quick, out } = flags();
const size = sizes(quick);
const addresses = addressMix(normalizeAddress, size);
const joins = joinsFor(addresses);
const geo = await MaxMindResolver.open(DB_PATH);
const SANCTIONED = ['KP', 'IR', 'SY', 'CU', 'BY', 'VE', 'MM', 'SD', 'ZW', 'LY'];

/** `n` CN takedowns elsewhere: half on other meetings, half on other host accounts. */
function elsewhere(n) {
  return Array.from({ length: n }, (_, i) =>
    cnTakedown(`elsewhere-${i}`, i % 2 === 0 ? { meetings: [`m-other-${i}`] } : { hostAccounts: [`acct-other-${i}`] }),
  );
}
function sanctions(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `sanctions-${i}`,
    kind: 'sanctions',
    authority: { name: 'Operator compliance', jurisdiction: 'US' },
    regions: [SANCTIONED[i % SANCTIONED.length]],
    scope: { all: true },
    mode: 'enforce',
  }));
}

let gates = {};
const registration = {};
for (const [name, docs] of [
  ['10 elsewhere', [cnTakedown(), ...elsewhere(10)]],
  [`${size.elsewhere.toLocaleString('en-US')} elsewhere`, [cnTakedown(), ...elsewhere(size.elsewhere)]],
  [`+ ${size.allScoped.toLocaleString('en-US')} all-scoped`, [cnTakedown(), ...elsewhere(size.elsewhere), ...sanctions(size.allScoped)]],
]) {
  const t = await timeMs(() => {
    gates[name] = createGate({ geo, restrictions: docs });
  }, 1);
  gates[name].on('decision', () => {});
  registration[name] = { restrictions: docs.length, createGateMs: t.ms };
}
const names = Object.keys(gates);

console.log(`\n3. Restriction scaling (join cost; ${size.rounds} rounds of ${size.batch.toLocaleString('en-US')})`);
const results = await compare(
  names.map((name) => ({ name, run: asyncCycler(joins, (j) => gates[name].admit(j)) })),
  size,
);
printTable(results, names[0]);
for (const name of names)
  console.log(`  createGate with ${registration[name].restrictions.toLocaleString('en-US')} restrictions: ${registration[name].createGateMs.toFixed(0)} ms`);
const ratio = results[1].nsPerOp / results[0].nsPerOp;
const perSanction = (results[2].nsPerOp - results[1].nsPerOp) / size.allScoped;
console.log(
  `  ${size.allScoped.toLocaleString('en-US')} all-scoped sanctions add ${round1(results[2].nsPerOp - results[1].nsPerOp)} ns per join (${perSanction.toFixed(1)} ns each): they are indexed by country, so only joins located in a sanctioned country evaluate them (and list every match)`,
);
const targets = [target(`${size.elsewhere.toLocaleString('en-US')} restrictions elsewhere cost <= 1.1x of 10`, ratio <= 1.1, `${ratio.toFixed(3)}x`)];
gates = undefined;
save(out, '3-scaling', { results, registration, allScopedNsEach: round1(perSanction), targets });
