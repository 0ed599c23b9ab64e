/**
 * Waiting for a condition on a fake without polling: the fake calls `notify()` whenever its state
 * changes (a call arrived, a socket opened), and each waiter re-checks its predicate then.
 * @module
 */

/**
 * How long a condition is waited for by default: a bound against a hang, not a claim about
 * speed (a loaded CI machine can take many seconds for what takes milliseconds here).
 */
export const CONDITION_TIMEOUT_MS = 120_000;

/**
 * Predicates waited on, re-checked on every `notify()`.
 *
 * @example
 * ```ts
 * const conditions = new Conditions("FakeSlack");
 * await conditions.waitFor(() => calls.length === 1); // the fake calls conditions.notify()
 * ```
 */
export class Conditions {
  #waiters = new Set<() => void>();

  /** `name` opens the timeout message (`<name>: condition not met within … ms`). */
  constructor(readonly name: string) {}

  /** Re-checks every waiter's predicate; call after each change of state. */
  notify(): void {
    for (const check of [...this.#waiters]) check();
  }

  /**
   * Resolves when `predicate` holds; rejects after `timeoutMs`, with `detail()` (what was seen)
   * in the message when given.
   */
  waitFor(
    predicate: () => boolean,
    timeoutMs = CONDITION_TIMEOUT_MS,
    detail?: () => string,
  ): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        const seen = detail ? `:\n${detail()}` : "";
        reject(new Error(`${this.name}: condition not met within ${timeoutMs} ms${seen}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }
}
