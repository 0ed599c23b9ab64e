/**
 * The pace of a live message's calls, shared by the reply editor and the tool progress message:
 * one update at a time, none before the platform allows the next (the edit interval, or the
 * rate-limit wait it answered with), and updates that pile up while one waits coalesced into one.
 * @module
 */
/** A timer handle from Clock.setTimeout. */
export type TimerId = ReturnType<typeof setTimeout>;

/** Time, injectable so the state machine can be tested with a fake clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/**
 * Runs `update` when `due()` says there is something to show, one run at a time, spaced by
 * what the caller sets with `spaceBy`.
 *
 * @example
 * ```ts
 * const pacer = new Pacer(clock, async () => { await api.edit(id, text); pacer.spaceBy(1500); },
 *   () => text !== shown);
 * pacer.schedule(); // after each change
 * await pacer.stop(); // before the final call
 * ```
 */
export class Pacer {
  #clock: Clock;
  #update: () => Promise<void>;
  #due: () => boolean;
  #nextAt = 0;
  #timer: TimerId | undefined;
  #inflight: Promise<void> | undefined;
  #ran: Array<() => void> = [];

  constructor(clock: Clock, update: () => Promise<void>, due: () => boolean) {
    this.#clock = clock;
    this.#update = update;
    this.#due = due;
  }

  /** Plans an update, unless one is planned or running, or there is nothing to show. */
  schedule(): void {
    if (this.#timer !== undefined || this.#inflight || !this.#due()) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#inflight = this.#update().finally(() => {
        this.#inflight = undefined;
        for (const resolve of this.#ran.splice(0)) resolve();
        this.schedule();
      });
    }, this.waitMs());
  }

  /**
   * Resolves once the planned or running update has run (whether it succeeded or not), or at
   * once when none is: for a caller whose next step must come after that update.
   */
  ran(): Promise<void> {
    if (this.#timer === undefined && !this.#inflight) return Promise.resolve();
    return new Promise((resolve) => this.#ran.push(resolve));
  }

  /** Drops a planned update and waits for a running one; `schedule` may start again later. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inflight;
    for (const resolve of this.#ran.splice(0)) resolve();
  }

  /** Milliseconds until the next call may be made. */
  waitMs(): number {
    return Math.max(0, this.#nextAt - this.#clock.now());
  }

  /** Waits until the next call may be made. */
  async waitTurn(): Promise<void> {
    await this.#clock.sleep(this.waitMs());
  }

  /** Marks a call made (or refused) now: the next may come `ms` later. */
  spaceBy(ms: number): void {
    this.#nextAt = this.#clock.now() + ms;
  }
}
