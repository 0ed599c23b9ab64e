/**
 * Writing log lines to stderr at the least cost: without `console.error`'s formatting pass (which
 * took several times longer per request line), and, for the per-request lines, gathered and
 * written together once the current task's callbacks have run, one write for every line of a
 * busy moment instead of one system call each.
 * @module
 */

const encoder = new TextEncoder();

let pending: string[] = [];
let scheduled = false;
let exitHooked = false;

/**
 * Writes `line` and a newline to stderr, synchronously, after any lines {@link queueStderrLine}
 * still holds: lines keep their order and none is lost if the process ends right after.
 *
 * @example
 * ```ts
 * writeStderrLine('{"status":200}');
 * ```
 */
export function writeStderrLine(line: string): void {
  if (pending.length > 0) flushStderrLines();
  writeAll(line + "\n");
}

/**
 * Queues `line` for stderr. Queued lines are written in order, together, by one synchronous
 * write in a microtask (before the event loop moves on to anything else), or at once by
 * {@link writeStderrLine}, {@link flushStderrLines}, or when the process exits (`Deno.exit`, the
 * end of the program, an uncaught error), so none is lost.
 *
 * @example
 * ```ts
 * queueStderrLine('{"status":200}');
 * ```
 */
export function queueStderrLine(line: string): void {
  pending.push(line);
  if (scheduled) return;
  scheduled = true;
  if (!exitHooked) hookExit();
  queueMicrotask(flushQuietly);
}

/** Writes the lines {@link queueStderrLine} holds, now. */
export function flushStderrLines(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const lines = pending;
  pending = [];
  writeAll(lines.length === 1 ? lines[0] + "\n" : lines.join("\n") + "\n");
}

// From a microtask or an exit hook nobody could catch a failing write: the lines are then lost, as
// a failing request-log sink's line always was.
function flushQuietly(): void {
  try {
    flushStderrLines();
  } catch { /* stderr is gone */ }
}

function writeAll(text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
}

function hookExit(): void {
  exitHooked = true;
  // Listening changes nothing else: no default is prevented.
  globalThis.addEventListener("unload", flushQuietly);
  globalThis.addEventListener("error", flushQuietly);
  globalThis.addEventListener("unhandledrejection", flushQuietly);
}
