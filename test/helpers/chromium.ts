/**
 * Headless Chromium for the browser tests: Debian's package, driven by
 * playwright-core. Under GEOADMIT_REQUIRE_CHROMIUM=1 (CI) a missing browser
 * fails the file instead of skipping it.
 */
import { existsSync } from 'node:fs';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser is installed; throws when CI requires it and it is not. */
export function chromiumAvailable(suite: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.GEOADMIT_REQUIRE_CHROMIUM === '1') {
    throw new Error(`GEOADMIT_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing (apt-get install chromium)`);
  }
  if (!available) console.warn(`${suite} tests skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);
  return available;
}

/**
 * A fresh headless browser with its own profile folder (playwright passes it as
 * --user-data-dir). The background-networking flags keep it off the closed network.
 */
export function launchChromium(profile: string, viewport?: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    ...(viewport ? { viewport } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
