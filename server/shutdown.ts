/**
 * Graceful shutdown on SIGINT/SIGTERM: stop accepting connections, give running turns
 * `api_server.shutdown_grace` seconds to finish, then abort the rest (their handlers end the
 * streams cleanly and store the responses as incomplete), then close storage. A second signal
 * exits at once, for when the user really means it; the copy a launcher forwards within the same
 * instant (`deno task`, `npx`) is not a second signal (see signals.ts).
 * @module
 */
import type { RunTracker } from "./runs.ts";
import { listenForSignals } from "./signals.ts";
import { settlesWithin } from "../lib/mod.ts";

/** What {@link installShutdown} needs. */
export interface ShutdownOptions {
  /** The running turns. */
  runs: RunTracker;
  /** The server to stop accepting on. */
  server: Deno.HttpServer;
  /** Seconds running turns may take to finish before they are aborted. */
  graceSeconds: number;
  /** Called once new work is refused: closes long-lived connections (WebSockets). */
  onDrain?: () => void;
  /** Closes storage (KV) once every turn has ended; runs last. */
  onClose: () => Promise<void>;
  /** Receives progress lines. Default: `console.error`. */
  log?: (line: string) => void;
  /** Listen for SIGINT and SIGTERM. Default true; tests call `trigger()` instead. */
  signals?: boolean;
  /** Ends the process on a second signal. Default: `Deno.exit`. */
  exit?: (code: number) => void;
  /** How long to wait for aborted turns and open responses to wind down. Default 5 000 ms. */
  abortWaitMs?: number;
  /** Signals this close to the last one are its echo, not a second signal. Default 400 ms. */
  signalWindowMs?: number;
}

/** Controls an installed shutdown. */
export interface ShutdownHandle {
  /** Starts shutting down (what the first signal does); every call returns the same promise. */
  trigger(): Promise<void>;
  /** Removes the signal listeners. */
  dispose(): void;
}

/**
 * Installs the signal handlers.
 *
 * @example
 * ```ts
 * const server = Deno.serve({ port: 8642 }, handler);
 * const shutdown = installShutdown({
 *   runs, server, graceSeconds: config.api_server.shutdown_grace,
 *   onClose: async () => kv.close(),
 * });
 * await server.finished;
 * ```
 */
export function installShutdown(options: ShutdownOptions): ShutdownHandle {
  const log = options.log ?? ((line: string) => console.error(line));
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const abortWaitMs = options.abortWaitMs ?? 5_000;
  let running: Promise<void> | undefined;
  let stopListening = () => {};

  const onSignal = () => {
    if (running) {
      log("Second signal: exiting now without waiting for running turns.");
      exit(130);
      return;
    }
    void handle.trigger();
  };

  const shutdown = async () => {
    const { runs, server } = options;
    runs.beginShutdown();
    options.onDrain?.();
    const finished = server.shutdown();
    if (runs.size > 0) {
      log(
        `Shutting down: waiting up to ${options.graceSeconds} s for ${runs.size} running ` +
          "turn(s) to finish (press Ctrl+C again to exit now).",
      );
    }
    if (!await settlesWithin(runs.idle(), options.graceSeconds * 1000)) {
      log(`Shutting down: aborting ${runs.size} turn(s) still running after the grace period.`);
      runs.abortAll("shutdown");
      if (!await settlesWithin(runs.idle(), abortWaitMs)) {
        log(`Shutting down: ${runs.size} turn(s) did not stop after being aborted.`);
      }
    }
    if (!await settlesWithin(finished, abortWaitMs)) {
      log("Shutting down: some responses were still open; closing anyway.");
    }
    try {
      await options.onClose();
    } catch (error) {
      log(`Shutting down: closing storage failed: ${(error as Error).message}`);
    }
    handle.dispose();
  };

  const handle: ShutdownHandle = {
    trigger() {
      running ??= shutdown();
      return running;
    },
    dispose() {
      stopListening();
    },
  };

  if (options.signals !== false) {
    stopListening = listenForSignals(onSignal, { windowMs: options.signalWindowMs });
  }
  return handle;
}
