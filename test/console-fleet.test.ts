// biome-ignore-all lint/performance/useDomNodeTextContent: Locator.innerText() is the rendered text an operator reads, what these tests assert
/**
 * The console on a fleet, in headless Chromium: node A (this process, the
 * console mounted) and node B (a child process) share a real Redis. The
 * overview, the preview and the confirmed result count both nodes and say
 * so; a node stopped with SIGSTOP is named in a warning the operator cannot
 * miss. Screenshots go to test-output/console/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGate, type Gate, type ParticipantRef, StaticResolver } from 'geoadmit';
import { type ConsoleHandler, createConsole } from 'geoadmit/console';
import { createRedisRestrictionStore, type RedisRestrictionStore } from 'geoadmit/redis';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { STATIC_TABLE } from './helpers/fixtures.js';
import { type FleetNode, join, startNode } from './helpers/fleet/cluster.js';
import { hasRedis, startRedis, type TestRedis } from './helpers/redis-server.js';
import { makeTempDir } from './helpers/temp-dir.js';

const available = chromiumAvailable('console-fleet');
if (!hasRedis && process.env.GEOADMIT_REQUIRE_REDIS === '1') throw new Error('GEOADMIT_REQUIRE_REDIS=1 but redis-server is missing');
if (!hasRedis) console.warn('console-fleet tests skipped: redis-server is not installed (apt-get install redis-server)');

const shots = fileURLToPath(new URL('../test-output/console/', import.meta.url));
const TOKEN = 'fleet-console-token-0123456789abcdef-012345';
// Long enough that node B stays live for a preview sent right after it is stopped, short enough for a quick test.
const FLEET_TIMEOUT = 4_000;

describe.skipIf(!available || !hasRedis)('operator console on a fleet of two nodes', () => {
  let redis: TestRedis;
  let store: RedisRestrictionStore;
  let gate: Gate;
  let nodeB: FleetNode;
  let handler: ConsoleHandler;
  let server: Server;
  let url: string;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  let profileDir: ReturnType<typeof makeTempDir> | undefined;
  let stopped = false;
  const removedOnA: ParticipantRef[] = [];

  const shot = async (name: string, fullPage = true): Promise<void> => {
    const path = joinPath(shots, `${name}.png`);
    await page.screenshot({ path, fullPage });
    console.log(`screenshot: ${path}`);
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    redis = await startRedis();
    store = createRedisRestrictionStore({ url: redis.url, connectTimeoutMs: 400, blockMs: 200 });
    gate = createGate({
      geo: new StaticResolver(STATIC_TABLE as never),
      restrictions: store,
      nodeId: 'node-a',
      fleetTimeoutMs: FLEET_TIMEOUT,
      onRemove: (p) => void removedOnA.push(p),
    });
    await gate.ready();
    nodeB = await startNode({ name: 'node-b', url: redis.url, fleetTimeoutMs: FLEET_TIMEOUT });
    await nodeB.call('ready');
    // m-1: one CN participant on each node; m-2: HK on A, CN on B (only B disturbs it); m-3: US on A.
    await gate.admit(join('m-1', 'a-cn', 'cn', 8));
    await gate.admit(join('m-2', 'a-hk', 'hk', 8));
    await gate.admit(join('m-3', 'a-us', 'us', 8));
    await nodeB.call('admit', { join: join('m-1', 'b-cn', 'cn', 9) });
    await nodeB.call('admit', { join: join('m-2', 'b-cn2', 'cn', 10) });
    const deadline = Date.now() + 10_000;
    while ((await gate.nodes()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    handler = createConsole(gate, { token: TOKEN, overviewIntervalMs: 300 });
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${handler.basePath}`;
    profileDir = makeTempDir('geoadmit-chromium-');
    profile = profileDir.dir;
    browser = await launchChromium(profile, { width: 1280, height: 900 });
    page = await browser.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    handler?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (stopped && nodeB) process.kill(nodeB.pid, 'SIGCONT');
    await nodeB?.stop();
    await gate?.close();
    await store?.close();
    await redis?.dispose();
    profileDir?.cleanup();
  }, 30_000);

  it('shows the meetings across 2 nodes, counted on 2 of 2', async () => {
    await page.goto(url);
    await page.getByLabel('Access token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#meetings-h').innerText(), { timeout: 10_000 }).toBe('Live meetings across 2 nodes');
    expect(await page.locator('#fleet').innerText()).toBe('Across 2 nodes: counted on 2 of 2 (node-a, node-b).');
    const m1 = page.locator('#meetings-body tr[data-meeting="m-1"]');
    await expect.poll(() => m1.innerText(), { timeout: 10_000 }).toMatch(/m-1\s+2\s+CN 2\s+node-a, node-b/);
    expect(await page.locator('#meetings-body tr[data-meeting="m-2"]').innerText()).toMatch(/2\s+(CN 1 · HK 1|HK 1 · CN 1)/);
    expect(await page.locator('#meetings thead').innerText()).toMatch(/Nodes/i);
    expect(await page.locator('#fleet-warning').isVisible()).toBe(false);
    expect(await page.locator('#activity-h').innerText()).toBe('Activity on this node (node-a)');
    await shot('fleet-01-overview');
  });

  it('previews a demand for the whole fleet: who on which node, coverage, and m-2 not undisturbed', async () => {
    await page.getByLabel('Restriction id').fill('fleet-demand');
    await page.getByLabel('Authority name').fill('Example Authority');
    await page.getByLabel('Authority jurisdiction').fill('CN');
    await page.getByLabel('Regions (ISO codes, comma-separated)').fill('CN');
    await page.getByLabel('Scope: meetings').fill('m-1, m-2, m-3');
    await page.getByRole('button', { name: 'Preview impact' }).click();
    const preview = page.locator('#preview');
    await expect.poll(() => preview.innerText(), { timeout: 10_000 }).toMatch(/Would remove 3 participants across 2 nodes/);
    const text = await preview.innerText();
    expect(text).toContain('a-cn — m-1 (on node node-a)');
    expect(text).toContain('b-cn — m-1 (on node node-b)');
    expect(text).toContain('b-cn2 — m-2 (on node node-b)');
    expect(text).toMatch(/Counted on 2 of 2 nodes\./);
    expect(text).toMatch(/Meetings left undisturbed: m-3\n/);
    expect(gate.restrictions()).toEqual([]);
    await shot('fleet-02-preview');
  });

  it('confirms: the result counts the removals on both nodes', async () => {
    await page.getByRole('button', { name: 'Confirm and apply' }).click();
    const preview = page.locator('#preview');
    await expect.poll(() => preview.innerText(), { timeout: 10_000 }).toMatch(/Removed 3 participants across 2 nodes/);
    const text = await preview.innerText();
    expect(text).toContain('b-cn2 — m-2 (on node node-b)');
    expect(text).toMatch(/Counted on 2 of 2 nodes\./);
    expect(removedOnA.map((p) => p.participantId)).toEqual(['a-cn']);
    // This node's own event says it is this node's part.
    await expect
      .poll(() => page.locator('#activity').innerText(), { timeout: 10_000 })
      .toMatch(/Restriction fleet-demand accepted \(takedown, CN\): 1 participant removed on node-a\./);
    await expect
      .poll(
        () =>
          nodeB
            .removed()
            .map((e) => (e as { participant: ParticipantRef }).participant.participantId)
            .sort(),
        { timeout: 10_000 },
      )
      .toEqual(['b-cn', 'b-cn2']);
    await shot('fleet-03-applied');
  });

  it('names a stopped node in a warning the operator cannot miss, in the preview and over the meetings', async () => {
    await nodeB.call('admit', { join: join('m-4', 'b-us', 'us', 11) });
    await expect.poll(() => page.locator('#meetings-body tr[data-meeting="m-4"]').count(), { timeout: 5_000 }).toBe(1);
    process.kill(nodeB.pid, 'SIGSTOP');
    stopped = true;
    // A preview sent now goes out while B still counts as live: B is missing from its answer.
    await page.getByLabel('Restriction id').fill('fleet-demand-2');
    await page.getByLabel('Scope: meetings').fill('m-4');
    await page.getByRole('button', { name: 'Preview impact' }).click();
    const preview = page.locator('#preview');
    await expect.poll(() => preview.innerText(), { timeout: 10_000 }).toMatch(/Not counted: node node-b did not answer in time\./);
    expect(await preview.innerText()).toMatch(/Counted on 1 of 2 nodes\./);
    expect(await preview.innerText()).toMatch(/Would remove 0 participants on node-a only/);
    expect(await preview.locator('.fleet-warning[role="alert"]').isVisible()).toBe(true);
    // Over the meetings, at the top of the page: first while B is missing, then once it is gone from the fleet.
    const banner = page.locator('#fleet-warning');
    await expect.poll(() => banner.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => banner.innerText(), { timeout: 10_000 }).toMatch(/node-b (did not answer|has stopped answering)/);
    expect(await banner.getAttribute('role')).toBe('alert');
    const colour = await page.evaluate<string>(`getComputedStyle(document.getElementById('fleet-warning')).backgroundColor`);
    expect(colour).not.toBe('rgba(0, 0, 0, 0)');
    await page.evaluate('window.scrollTo(0, 0)');
    await shot('fleet-04-node-missing');
    // Still named after B's heartbeats lapse and the fleet no longer asks it.
    await new Promise((r) => setTimeout(r, FLEET_TIMEOUT + 1_000));
    await expect.poll(() => banner.innerText(), { timeout: 10_000 }).toMatch(/Node node-b has stopped answering/);
    expect(await banner.isVisible()).toBe(true);
    // The fleet is still two nodes; only one is counted.
    expect(await page.locator('#meetings-h').innerText()).toBe('Live meetings across 2 nodes');
    expect(await page.locator('#fleet').innerText()).toBe('Across 2 nodes: counted on 1 of 2 (node-a).');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate('window.scrollTo(0, 0)');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    await shot('fleet-05-node-missing-phone', false);
    await page.locator('#preview').scrollIntoViewIfNeeded();
    await shot('fleet-06-preview-missing-phone', false);
    await page.locator('#restrictions-s').scrollIntoViewIfNeeded();
    await shot('fleet-07-restrictions-phone', false);
    process.kill(nodeB.pid, 'SIGCONT');
    stopped = false;
  }, 40_000);
});
