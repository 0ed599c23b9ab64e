/**
 * Runs tasks one at a time per key, in call order, within this process.
 * @module
 */

/**
 * A per-key FIFO of async tasks: tasks under one key never overlap; different keys run freely.
 *
 * @example
 * ```ts
 * const queue = new KeyedQueue();
 * await Promise.all([queue.run("a", taskOne), queue.run("a", taskTwo)]); // taskTwo after taskOne
 * ```
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every task queued earlier under `key`; settles with its result. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(() => {}, () => {});
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Number of keys with queued or running tasks. */
  get size(): number {
    return this.#tails.size;
  }
}
