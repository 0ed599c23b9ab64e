/**
 * Runs one process in the sandbox to its end: a time limit, the turn's AbortSignal, optional
 * input, and stdout/stderr capped while they are read. A timeout or an abort kills the process
 * and everything it started, so a tool never holds its run slot past the turn.
 * @module
 */
import { CappedBuffer } from "./capped_buffer.ts";
import type { Sandbox, SandboxSpawnOptions } from "./sandbox.ts";
import { settlesWithin } from "../../lib/mod.ts";

/** After the process exits, how long background children may keep its output pipes open. */
const PIPE_GRACE_MS = 2000;

/** Options for {@link runInSandbox}. */
export interface SandboxRunOptions extends SandboxSpawnOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Written to the process's stdin, which is then closed. */
  input?: Uint8Array;
  /** Bytes kept of stdout (the middle of longer output is cut). */
  maxStdout: number;
  /** Bytes kept of stderr. */
  maxStderr: number;
}

/** How a run ended. */
export interface SandboxRunResult {
  /** The exit code (-1 when killed by a signal). */
  code: number;
  signal: Deno.Signal | null;
  /** Why Herald killed it, if it did. */
  ended: "timeout" | "abort" | null;
  stdout: CappedBuffer;
  stderr: CappedBuffer;
  /** False when background processes kept the output open after the process exited. */
  pipesClosed: boolean;
}

/**
 * Runs `argv` in `sandbox`.
 * @throws Error when the process cannot be started (no bash, no bwrap…).
 */
export async function runInSandbox(
  sandbox: Sandbox,
  argv: readonly string[],
  options: SandboxRunOptions,
): Promise<SandboxRunResult> {
  options.signal.throwIfAborted();
  const proc = await sandbox.spawn(argv, {
    ...options,
    stdin: options.input ? "piped" : "null",
  });
  let ended: "timeout" | "abort" | null = null;
  const stop = (why: "timeout" | "abort") => {
    ended ??= why;
    proc.kill();
  };
  const timer = setTimeout(() => stop("timeout"), options.timeoutMs);
  const onAbort = () => stop("abort");
  options.signal.addEventListener("abort", onAbort, { once: true });
  if (options.signal.aborted) onAbort();

  const stdout = new CappedBuffer(options.maxStdout);
  const stderr = new CappedBuffer(options.maxStderr);
  const readers = [stdout.drain(proc.child.stdout), stderr.drain(proc.child.stderr)];
  const writing = options.input ? writeAll(proc.child.stdin, options.input) : Promise.resolve();
  let status: Deno.CommandStatus;
  try {
    status = await proc.child.status;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onAbort);
  }
  await writing;
  const piped = await settlesWithin(Promise.all(readers), PIPE_GRACE_MS);
  if (!piped) {
    // A background process still holds the pipes open; return what we have without it.
    proc.kill();
    stdout.cancel();
    stderr.cancel();
    await Promise.allSettled(readers);
  }
  await proc.release();
  return {
    code: status.code,
    signal: status.signal,
    ended,
    stdout,
    stderr,
    pipesClosed: piped,
  };
}

async function writeAll(stream: WritableStream<Uint8Array>, bytes: Uint8Array): Promise<void> {
  const writer = stream.getWriter();
  try {
    await writer.write(bytes);
    await writer.close();
  } catch {
    // The process exited without reading all of it; its answer says why.
  }
}
