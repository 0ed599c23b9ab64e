/**
 * A clock that moves only when the test says so, for the time-driven parts of the platform
 * renderers (the stream editor, the tool progress message).
 * @module
 */
import assert from "node:assert/strict";
import type { Clock, TimerId } from "../../platforms/stream_editor.ts";

/** A clock that moves only when the test says so. */
export class FakeClock implements Clock {
  #now = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #nextId = 1;

  now(): number {
    return this.#now;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id as unknown as TimerId;
  }
  clearTimeout(id: TimerId): void {
    this.#timers.delete(id as unknown as number);
  }

  /** Runs every timer due up to `now + ms`, in order, letting the promises they start settle. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    while (true) {
      const next = [...this.#timers.entries()].filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
      await settle();
    }
    this.#now = until;
  }

  /** Runs timers until `promise` settles. */
  async runUntil<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    promise.finally(() => done = true).catch(() => {});
    for (let i = 0; i < 1000 && !done; i++) await this.advance(100);
    assert.ok(done, "the editor never finished");
    return await promise;
  }
}

/** Lets the editor's awaited API calls complete (they resolve at once). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
