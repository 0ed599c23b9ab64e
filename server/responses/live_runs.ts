/**
 * Responses running in this process: their event log (for `?stream=true&starting_after=N`
 * replay and live following) and a way to cancel them.
 * @module
 */
import type { ResponseStreamEvent } from "./emitter.ts";

/** One running response. */
export class LiveRun {
  readonly events: ResponseStreamEvent[] = [];
  readonly background: boolean;
  /** Set by cancel: the run ends as `cancelled` rather than `incomplete`. */
  cancelled = false;
  #listeners = new Set<() => void>();
  #ended = false;
  #endedPromise: Promise<void>;
  #resolveEnded!: () => void;
  readonly #abort: (reason: string) => void;

  constructor(background: boolean, abort: (reason: string) => void) {
    this.background = background;
    this.#abort = abort;
    this.#endedPromise = new Promise((resolve) => this.#resolveEnded = resolve);
  }

  /** Records an event and wakes followers. */
  push(event: ResponseStreamEvent): void {
    this.events.push(event);
    for (const listener of this.#listeners) listener();
  }

  /** Marks the run ended (after its final state is stored). */
  end(): void {
    this.#ended = true;
    this.#resolveEnded();
    for (const listener of this.#listeners) listener();
  }

  /** True once the run ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Resolves when the run ended and its final state is stored. */
  get done(): Promise<void> {
    return this.#endedPromise;
  }

  /** Stops the agent; the run ends as `cancelled`. */
  cancel(): void {
    this.cancelled = true;
    this.#abort("cancelled");
  }

  /** Yields the events after `after`, then new ones as they come, until the run ends. */
  async *follow(after: number, signal: AbortSignal): AsyncGenerator<ResponseStreamEvent> {
    let next = Math.max(0, after + 1);
    while (!signal.aborted) {
      while (next < this.events.length) yield this.events[next++];
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#listeners.delete(wake);
          signal.removeEventListener("abort", wake);
          resolve();
        };
        this.#listeners.add(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
}

/** The registry of running responses by id. */
export class LiveRuns {
  readonly #runs = new Map<string, LiveRun>();

  /** Registers a run. */
  add(id: string, run: LiveRun): void {
    this.#runs.set(id, run);
    run.done.then(() => {
      if (this.#runs.get(id) === run) this.#runs.delete(id);
    });
  }

  /** The running response with this id, if any. */
  get(id: string): LiveRun | undefined {
    return this.#runs.get(id);
  }

  /** Resolves when every background run has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.#runs.values()].map((r) => r.done));
  }
}
