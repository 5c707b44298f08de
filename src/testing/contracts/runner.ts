/**
 * What a contract suite needs from the test runner: the `test` and `expect` of vitest (or of a
 * runner with the same API). They are handed in rather than imported so that `geoadmit/testing`
 * loads without vitest, and from CommonJS, where vitest cannot be loaded.
 */

/** The assertions a contract suite makes; vitest's `expect(value)` has them all. */
export interface ContractAssertion {
  /** `Object.is` equality. */
  toBe(expected: unknown): void;
  /** Deep equality. */
  toEqual(expected: unknown): void;
  /** A string matching a pattern. */
  toMatch(expected: RegExp | string): void;
  /** An object holding at least these properties. */
  toMatchObject(expected: object): void;
  /** A number below `expected`. */
  toBeLessThan(expected: number): void;
  /** A number above `expected`. */
  toBeGreaterThan(expected: number): void;
  /** `undefined`. */
  toBeUndefined(): void;
  /** A function that throws an error matching `expected`. */
  toThrowError(expected?: unknown): void;
}

/** vitest's `expect`, as far as a contract suite uses it. */
export interface ContractExpect {
  /** Assertions about `actual`; `message` names the case in a failure. */
  (actual: unknown, message?: string): ContractAssertion;
  /** An asymmetric matcher: any object with at least these properties. */
  objectContaining(expected: Record<string, unknown>): unknown;
}

/** vitest's `test`, as far as a contract suite uses it. */
export interface ContractTest {
  /** Registers one test. */
  (name: string, body: () => unknown): void;
  /** Registers a test that is expected to fail (a known difference of the implementation). */
  fails(name: string, body: () => unknown): void;
}

/**
 * The runner's functions a contract registers its tests with.
 *
 * @example
 * import { expect, test } from 'vitest';
 * const runner = { test, expect };
 */
export interface ContractRunner {
  /** vitest's `test`. */
  test: ContractTest;
  /** vitest's `expect`. */
  expect: ContractExpect;
}
