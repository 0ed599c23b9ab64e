/**
 * One keypress, one signal. Under `deno task`, `npx` and other launchers a Ctrl-C reaches Herald
 * twice within milliseconds: the terminal sends SIGINT to the whole foreground process group and
 * the launcher forwards its own copy to its child. Signals arriving within a short window of the
 * last one acted on are the same keypress and are dropped; a deliberate second Ctrl-C after the
 * window counts.
 * @module
 */

/** How long after an accepted signal another one counts as its echo. */
export const SIGNAL_ECHO_WINDOW_MS = 400;

/**
 * Decides which signals are new: the first, and any arriving more than `windowMs` after the last
 * accepted one.
 *
 * @example
 * ```ts
 * const dedupe = new SignalDeduper();
 * dedupe.accept(1000); // true
 * dedupe.accept(1002); // false: the launcher's forwarded copy
 * dedupe.accept(2500); // true: a second, deliberate Ctrl-C
 * ```
 */
export class SignalDeduper {
  #last = -Infinity;
  readonly #windowMs: number;

  constructor(windowMs: number = SIGNAL_ECHO_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  /** True when a signal at time `now` (ms) is a new one; false for an echo of the last. */
  accept(now: number): boolean {
    if (now - this.#last <= this.#windowMs) return false;
    this.#last = now;
    return true;
  }
}

/** Options for {@link listenForSignals}. */
export interface SignalListenOptions {
  /** The signals to listen for. Default SIGINT and SIGTERM (SIGTERM is skipped on Windows). */
  signals?: Deno.Signal[];
  /** The echo window. Default {@link SIGNAL_ECHO_WINDOW_MS}. */
  windowMs?: number;
}

/**
 * Calls `handler` once per distinct signal (echoes within the window dropped) and returns a
 * function that removes the listeners.
 *
 * @example
 * ```ts
 * const stop = listenForSignals((signal) => console.error(`got ${signal}`));
 * // later
 * stop();
 * ```
 */
export function listenForSignals(
  handler: (signal: Deno.Signal) => void,
  options: SignalListenOptions = {},
): () => void {
  const dedupe = new SignalDeduper(options.windowMs);
  const listening: Array<[Deno.Signal, () => void]> = [];
  for (const signal of options.signals ?? ["SIGINT", "SIGTERM"]) {
    const listener = () => {
      if (dedupe.accept(performance.now())) handler(signal);
    };
    try {
      Deno.addSignalListener(signal, listener);
      listening.push([signal, listener]);
    } catch { /* SIGTERM is not available on Windows */ }
  }
  return () => {
    for (const [signal, listener] of listening.splice(0)) {
      try {
        Deno.removeSignalListener(signal, listener);
      } catch { /* already gone */ }
    }
  };
}
