// Small assertion helpers on top of node:assert/strict (no @std here).
import assertModule from "node:assert/strict";

/** Asserts a truthy value. */
export function assert(value: unknown, message?: string): asserts value {
  assertModule.ok(value, message);
}

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assertModule.deepStrictEqual(actual, expected, message);
}

/** Asserts that `run` rejects with an instance of `type`, and returns the error. */
export async function assertRejects<E extends Error>(
  run: () => Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await run();
  } catch (error) {
    assertModule.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error as E;
  }
  throw new assertModule.AssertionError({ message: `expected ${type.name} to be thrown` });
}
