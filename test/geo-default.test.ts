import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DB_PACKAGE, GEOLITE2_ATTRIBUTION, MaxMindResolver, createGate, findDefaultDatabase, isGeoadmitError, openDefaultResolver } from 'geoadmit';
import { GEOLITE2_ATTRIBUTION as CLI_ATTRIBUTION } from 'geoadmit';

const notInstalled = (specifier: string): string => {
  throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: 'MODULE_NOT_FOUND' });
};

describe('openDefaultResolver', () => {
  it('opens the installed GeoLite2 country package as a MaxMindResolver', async () => {
    const geo = await openDefaultResolver();
    try {
      expect(geo).toBeInstanceOf(MaxMindResolver);
      const installed = join(dirname(createRequire(import.meta.url).resolve(`${DEFAULT_DB_PACKAGE}/package.json`)), 'geolite2-country.mmdb');
      expect(geo.databases.map((d) => d.file)).toEqual([installed]);
      expect(findDefaultDatabase()).toBe(installed);
      // Real data: a Hong Kong address is HK (its own code), a US one US.
      expect(geo.resolve('202.181.0.1').country).toBe('HK');
      expect(geo.resolve('8.8.8.8').country).toBe('US');
      const gate = createGate({ geo });
      expect((await gate.admit({ meetingId: 'm', participantId: 'p', peerAddress: '202.181.0.1' })).location.country).toBe('HK');
      await gate.close();
    } finally {
      await geo.close?.();
    }
  });

  it('says what to install, and where to get GeoLite2, when the package is missing', async () => {
    const error = await openDefaultResolver({ resolvePackage: notInstalled }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGeoadmitError(error, 'E_DB_NOT_FOUND')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`npm install ${DEFAULT_DB_PACKAGE}`);
    expect(message).toContain('GeoLite2');
    expect(message).toContain('maxmind.com');
    expect(findDefaultDatabase(process.cwd(), notInstalled)).toBeUndefined();
  });

  it('finds the package from the given directory when geoadmit itself cannot see it', async () => {
    const real = createRequire(import.meta.url);
    const seen: string[] = [];
    // Only the lookup from the application's directory succeeds (geoadmit installed elsewhere).
    const onlyFromApp = (specifier: string, base: string) => {
      seen.push(base);
      if (!base.startsWith('/app-dir/')) return notInstalled(specifier);
      return real.resolve(specifier);
    };
    const geo = await openDefaultResolver({ cwd: '/app-dir', resolvePackage: onlyFromApp });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe('/app-dir/noop.js');
    expect(geo.resolve('8.8.8.8').country).toBe('US');
    await geo.close?.();
  });

  it('passes resolver options through to MaxMindResolver.open', async () => {
    const geo = await openDefaultResolver({ clock: () => 0 });
    expect(geo.databases).toHaveLength(1);
    await geo.close?.();
  });

  it('exports the attribution the command line prints', () => {
    expect(GEOLITE2_ATTRIBUTION).toBe(CLI_ATTRIBUTION);
    expect(GEOLITE2_ATTRIBUTION).toBe('This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com.');
  });
});
