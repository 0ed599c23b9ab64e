/**
 * Tracks running agent turns so that shutdown can wait for them and then abort them, and so
 * that each run's AbortSignal fires on client disconnect, explicit cancel, or shutdown.
 * @module
 */

/** One running turn. */
export interface Run {
  /** Aborted on disconnect, cancel or shutdown. */
  readonly signal: AbortSignal;
  /** Aborts this run. */
  abort(reason?: string): void;
  /** Marks the run finished; call exactly once (extra calls are ignored). */
  finish(): void;
}

/**
 * Keeps the set of running turns.
 *
 * @example
 * ```ts
 * const runs = new RunTracker();
 * const run = runs.begin();
 * try { await work(run.signal); } finally { run.finish(); }
 * ```
 */
export class RunTracker {
  #active = new Set<AbortController>();
  #idleWaiters: Array<() => void> = [];
  #shuttingDown = false;

  /** Number of turns running now. */
  get size(): number {
    return this.#active.size;
  }

  /** True once shutdown began: new runs should be refused. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Starts tracking a run. */
  begin(): Run {
    const controller = new AbortController();
    this.#active.add(controller);
    let finished = false;
    return {
      signal: controller.signal,
      abort: (reason) => controller.abort(new DOMException(reason ?? "aborted", "AbortError")),
      finish: () => {
        if (finished) return;
        finished = true;
        this.#active.delete(controller);
        if (this.#active.size === 0) {
          for (const resolve of this.#idleWaiters.splice(0)) resolve();
        }
      },
    };
  }

  /** Resolves when no run is active. */
  idle(): Promise<void> {
    if (this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses new runs from now on. */
  beginShutdown(): void {
    this.#shuttingDown = true;
  }

  /** Aborts every running turn. */
  abortAll(reason = "shutdown"): void {
    for (const c of this.#active) c.abort(new DOMException(reason, "AbortError"));
  }
}
