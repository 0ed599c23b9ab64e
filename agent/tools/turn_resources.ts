/**
 * What tools keep for the rest of one turn — today the turn's sandboxed file helper — and close
 * when the turn ends, however it ends. The agent makes one per turn and closes it in the turn's
 * `finally`; nothing is shared between turns.
 * @module
 */

/** Something a turn holds and must close at its end. */
export interface TurnResource {
  close(): Promise<void>;
}

/**
 * A turn's resources, made on first use and closed together.
 *
 * @example
 * ```ts
 * const resources = new TurnResources();
 * try {
 *   const session = resources.use("file-helper", () => new FileHelperSession(sandbox, options));
 *   await session.call(request, limits);
 * } finally {
 *   await resources.close();
 * }
 * ```
 */
export class TurnResources {
  #items = new Map<string, TurnResource>();
  #closed = false;

  /**
   * The resource under `key`, made by `create` the first time it is asked for.
   * @throws Error after {@link close}: the turn has ended.
   */
  use<T extends TurnResource>(key: string, create: () => T): T {
    if (this.#closed) throw new Error("The turn has ended; its resources are closed.");
    let item = this.#items.get(key);
    if (!item) {
      item = create();
      this.#items.set(key, item);
    }
    return item as T;
  }

  /** How many resources the turn holds. */
  get size(): number {
    return this.#items.size;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes every resource (each once, failures ignored) and refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    const items = [...this.#items.values()];
    this.#items.clear();
    await Promise.allSettled(items.map((item) => item.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
