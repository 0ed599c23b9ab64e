/**
 * The one per-session ordering queue of the platforms: work for one session key runs in call
 * order, one piece at a time; different sessions run freely. The host orders turns and commands
 * with it, and the workers order the handling and rendering of a session's messages with it.
 * An idle session keeps no state.
 * @module
 */

/**
 * A FIFO of async tasks per session key, with the newest task's AbortController, so a newer
 * message (or /stop) can interrupt the task that is running or waiting.
 *
 * @example
 * ```ts
 * const queue = new SessionQueue();
 * queue.run("telegram:42", async (signal) => { … });
 * queue.interrupt("telegram:42"); // aborts the newest task of that session
 * ```
 */
export class SessionQueue {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #controllers = new Map<string, AbortController>();
  readonly #running = new Set<string>();
  #onError: (error: unknown, key: string) => void;

  constructor(onError: (error: unknown, key: string) => void = () => {}) {
    this.#onError = onError;
  }

  /**
   * Queues `task` after the session's earlier tasks. It gets a signal that aborts when a later
   * task is queued with `interruptPrevious` or the session is interrupted. Resolves when it ran.
   */
  run(
    key: string,
    task: (signal: AbortSignal) => Promise<void>,
    options: { interruptPrevious?: boolean } = {},
  ): Promise<void> {
    if (options.interruptPrevious) this.#controllers.get(key)?.abort();
    const controller = new AbortController();
    this.#controllers.set(key, controller);
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const tail = previous.then(async () => {
      this.#running.add(key);
      try {
        await task(controller.signal);
      } catch (error) {
        this.#onError(error, key);
      } finally {
        this.#running.delete(key);
      }
    });
    this.#tails.set(key, tail);
    tail.then(() => {
      // An idle session keeps no state: only sessions with work in flight are in the maps.
      if (this.#tails.get(key) !== tail) return;
      this.#tails.delete(key);
      if (this.#controllers.get(key) === controller) this.#controllers.delete(key);
    });
    return tail;
  }

  /** Aborts the session's newest task (running or waiting). Returns whether one was running. */
  interrupt(key: string, reason?: unknown): boolean {
    const wasRunning = this.#running.has(key);
    this.#controllers.get(key)?.abort(reason);
    return wasRunning;
  }

  /** Aborts every session's newest task. */
  interruptAll(reason?: unknown): void {
    for (const controller of this.#controllers.values()) controller.abort(reason);
  }

  /** Resolves when every queued task has run. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }

  /** Sessions with queued or running work. */
  get size(): number {
    return this.#tails.size;
  }
}
