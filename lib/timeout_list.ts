/**
 * Many timeouts of one length on one timer: for a timeout armed and cancelled on every request,
 * where a timer per request (`setTimeout`/`clearTimeout`, a timer object and its bookkeeping
 * each) costs more than the rest of the bookkeeping.
 * @module
 */

/** One pending timeout of a {@link TimeoutList}. */
export interface ListedTimeout {
  /** Stops it from firing; nothing happens if it fired or was cancelled already. */
  cancel(): void;
}

class Entry implements ListedTimeout {
  prev: Entry | undefined;
  next: Entry | undefined;
  linked = true;

  constructor(
    readonly list: TimeoutList,
    readonly at: number,
    readonly fire: () => void,
  ) {}

  cancel(): void {
    if (this.linked) this.list.remove(this);
  }
}

/**
 * Timeouts that all last `ms` milliseconds. They are kept in the order they were started, which
 * is the order they fire in, so starting and cancelling one is a few pointer updates, and one
 * timer, set for the oldest, serves them all. The timer is stopped when no timeout is pending,
 * so an idle list keeps nothing alive.
 *
 * @example
 * ```ts
 * const requestTimeouts = new TimeoutList(600_000);
 * const timeout = requestTimeouts.start(() => controller.abort(new Error("took too long")));
 * try { await work(controller.signal); } finally { timeout.cancel(); }
 * ```
 */
export class TimeoutList {
  readonly ms: number;
  #head: Entry | undefined;
  #tail: Entry | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number) {
    this.ms = ms;
  }

  /** Calls `fire` once `ms` milliseconds have passed, unless the timeout is cancelled first. */
  start(fire: () => void): ListedTimeout {
    const entry = new Entry(this, performance.now() + this.ms, fire);
    const tail = this.#tail;
    if (tail) {
      tail.next = entry;
      entry.prev = tail;
    } else {
      this.#head = entry;
    }
    this.#tail = entry;
    // Set for an older timeout, or for this one if it is alone.
    this.#timer ??= setTimeout(this.#expire, timerDelay(this.ms));
    return entry;
  }

  /** Unlinks a pending entry (see {@link ListedTimeout.cancel}). */
  remove(entry: Entry): void {
    entry.linked = false;
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else this.#head = next;
    if (next) next.prev = prev;
    else this.#tail = prev;
    entry.prev = entry.next = undefined;
    // Nothing left to wait for: no timer. (A timer set for an entry that was cancelled simply
    // fires early and is set again for the oldest one left.)
    if (!this.#head && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Fires every timeout that is due, then sets the timer for the oldest one left. */
  #expire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const due: Entry[] = [];
    let entry = this.#head;
    while (entry && entry.at <= now) {
      const next = entry.next;
      this.remove(entry);
      due.push(entry);
      entry = next;
    }
    if (this.#head) {
      this.#timer = setTimeout(this.#expire, timerDelay(this.#head.at - now));
    }
    for (const timeout of due) timeout.fire();
  };
}

/** The longest delay a timer takes (a longer one would fire at once). */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A timer delay for `ms`: at least 1, at most {@link MAX_TIMER_DELAY} (it is set again then). */
function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_DELAY, Math.max(1, Math.ceil(ms)));
}
