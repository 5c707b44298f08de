import { describe, expectTypeOf, it } from 'vitest';
import {
  normalizeAddress,
  redactAddress,
  resolveClientAddress,
  type AddressResult,
  type ClientAddressResult,
  type TrustedProxies,
} from '../src/address/index.js';
import { StaticResolver, type GeoResolver } from '../src/geo/index.js';

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
