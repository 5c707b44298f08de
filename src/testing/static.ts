import { StaticResolver, type StaticTable } from '../geo/static.js';

/**
 * Shortcut for `new StaticResolver(table)`: a resolver over an in-memory
 * CIDR table, for tests.
 *
 * @example
 * const geo = staticResolver({ '1.2.4.0/24': 'CN', '8.8.8.0/24': { country: 'US', subdivisions: ['US-CA'] } });
 */
export function staticResolver(table: StaticTable): StaticResolver {
  return new StaticResolver(table);
}
