// 5b. Resolver memory against the database file size.
import { statSync } from 'node:fs';
import { MaxMindResolver } from 'geoadmit';
import { DB_PATH, flags, heapUsed, save } from '../lib/common.mjs';

const { out } = flags();
const fileBytes = statSync(DB_PATH).size;
const before = heapUsed();
const resolver = await MaxMindResolver.open(DB_PATH);
resolver.resolve('1.2.4.8');
const after = heapUsed();
const heap = after.heap - before.heap;
const external = after.arrayBuffers - before.arrayBuffers;
console.log(`\n5b. Resolver memory (${DB_PATH.split('/').pop()}, ${(fileBytes / 2 ** 20).toFixed(1)} MiB file)`);
console.log(`  file buffer + 16-bit jump tables (external): ${(external / 2 ** 20).toFixed(1)} MiB = ${(external / fileBytes).toFixed(2)}x the file`);
console.log(`  JS heap (record memos, metadata): ${(heap / 2 ** 20).toFixed(2)} MiB = ${(heap / fileBytes).toFixed(2)}x the file`);
console.log(`  total: ${((heap + external) / fileBytes).toFixed(2)}x the file size`);
save(out, '5-resolver-memory', { fileBytes, heapBytes: heap, externalBytes: external, ratio: (heap + external) / fileBytes, resolver: resolver.databases });
