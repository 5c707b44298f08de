import { describe, expectTypeOf, it } from 'vitest';
import {
  CLOUDFLARE_RANGES,
  compileTrustedProxies,
  normalizeAddress,
  redactAddress,
  resolveClientAddress,
  type AddressResult,
  type CdnOption,
  type ClientAddressResult,
  type ClientAddressVia,
  type TrustedProxies,
  type TrustedProxiesInput,
} from '../src/address/index.js';
import { StaticResolver, type GeoResolver } from 'geoadmit';

describe('address API types', () => {
  it('results narrow on ok and global', () => {
    const r = normalizeAddress('1.2.4.8');
    expectTypeOf(r).toEqualTypeOf<AddressResult>();
    if (r.ok) {
      expectTypeOf(r.address).toBeString();
      expectTypeOf(r.family).toEqualTypeOf<4 | 6>();
      if (!r.global) expectTypeOf(r.cause).toEqualTypeOf<'non-global'>();
    } else {
      expectTypeOf(r.cause).toEqualTypeOf<'invalid-address'>();
      expectTypeOf(r.detail).toBeString();
    }
    expectTypeOf(resolveClientAddress).returns.toEqualTypeOf<ClientAddressResult>();
    expectTypeOf(resolveClientAddress).parameter(1).toEqualTypeOf<TrustedProxies | undefined>();
  });

  it('trusted proxies take a list, a string or a function; a CDN by name or { header, ranges }', () => {
    expectTypeOf(compileTrustedProxies).parameter(0).toEqualTypeOf<TrustedProxiesInput>();
    expectTypeOf<TrustedProxiesInput>().toEqualTypeOf<string | readonly string[] | ((address: string, hop: number) => boolean)>();
    expectTypeOf<'cloudflare'>().toMatchTypeOf<CdnOption>();
    expectTypeOf(CLOUDFLARE_RANGES).toMatchTypeOf<CdnOption>();
    expectTypeOf<ClientAddressVia>().toEqualTypeOf<'peer' | 'x-forwarded-for' | 'forwarded' | 'cdn'>();
    expectTypeOf<ClientAddressResult['untrustedForwarded']>().toEqualTypeOf<true | undefined>();
    expectTypeOf<TrustedProxies['trustsEverything']>().toBeBoolean();
    const compileOnly = (): void => {
      compileTrustedProxies(['loopback', '10.0.0.0/8'], { cdn: 'cloudflare' });
      compileTrustedProxies('loopback, uniquelocal', { header: 'forwarded', cdn: { header: 'true-client-ip', ranges: ['23.32.0.0/11'] } });
      compileTrustedProxies((address, hop) => hop === 0 && address === '10.0.0.1');
      // @ts-expect-error a CDN that is not shipped by name
      compileTrustedProxies([], { cdn: 'akamai' });
      // @ts-expect-error ranges are required
      compileTrustedProxies([], { cdn: { header: 'true-client-ip' } });
      // @ts-expect-error a trust function answers a boolean
      compileTrustedProxies((address: string) => address);
    };
    expectTypeOf(compileOnly).toBeFunction();
  });

  it('rejects what must not compile', () => {
    const compileOnly = (): void => {
      // @ts-expect-error an unknown redaction mode
      redactAddress('1.2.4.8', 'partial');
      // @ts-expect-error the object form needs a country
      new StaticResolver({ '1.2.4.0/24': { subdivisions: ['CN-BJ'] } });
    };
    expectTypeOf(compileOnly).toBeFunction();
    expectTypeOf<StaticResolver>().toMatchTypeOf<GeoResolver>();
  });
});
