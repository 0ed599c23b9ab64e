/**
 * One running sandboxed file helper: started in the `files` layout, fed one newline-delimited
 * JSON request at a time, its answer read back under a size cap. A call that times out, is
 * aborted or gets a garbled or oversized answer kills the whole helper (and everything in its
 * process group); the helper is then done and the next call needs a new one.
 * @module
 */
import { CappedBuffer } from "./capped_buffer.ts";
import type { FileHelperRequest, FileHelperResponse } from "./file_helper_program.ts";
import type { Sandbox, SandboxedProcess } from "./sandbox.ts";
import { concatBytes, settlesWithin } from "../../lib/mod.ts";

/** The helper failed to run at all (no deno, killed, garbled answer). */
export class FileHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FileHelperError";
  }
}

/** What one request may take. */
export interface FileHelperLimits {
  /** Aborted when the turn is stopped or the client leaves: kills the helper. */
  signal: AbortSignal;
  /** How long the helper may take to answer before it is killed. */
  timeoutMs: number;
  /** Largest answer accepted, in bytes (the file size cap plus room for escaping). */
  maxResponseBytes: number;
}

/** How to start a helper. */
export interface FileHelperSpawn {
  /** The command (see `helperCommand`). */
  argv: readonly string[];
  /** The runtime the command runs on, made visible in the `files` layout. */
  executable: string;
  /** The workspace of the turn (absolute). */
  workspace: string;
}

/** After the helper exits, how long its stderr pipe may stay open. */
const PIPE_GRACE_MS = 2000;
const NEWLINE = 10;

/** A started helper. */
export class FileHelperProcess {
  /** The helper's process id on the host (bwrap's, when sandboxed): for tests and debugging. */
  readonly pid: number;
  /** Settles once the helper exited and its pipes are closed. */
  readonly exited: Promise<void>;
  #proc: SandboxedProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stdout: ReadableStreamDefaultReader<Uint8Array>;
  #stderr = new CappedBuffer(4096);
  #leftover: Uint8Array | null = null;
  #alive = true;
  #busy = false;
  #status?: Deno.CommandStatus;

  private constructor(proc: SandboxedProcess) {
    this.#proc = proc;
    this.pid = proc.child.pid;
    this.#stdin = proc.child.stdin.getWriter();
    this.#stdout = proc.child.stdout.getReader();
    const stderr = this.#stderr.drain(proc.child.stderr);
    this.exited = proc.child.status.then(async (status) => {
      this.#alive = false;
      this.#status = status;
      if (!await settlesWithin(stderr, PIPE_GRACE_MS)) {
        proc.kill();
        this.#stderr.cancel();
      }
      await stderr.catch(() => {});
      await this.#stdin.close().catch(() => {});
      await this.#stdout.cancel().catch(() => {});
      await proc.release();
    });
  }

  /**
   * Starts a helper in `sandbox`'s `files` layout: only the roots and the system libraries
   * exist there. Herald's own program: V8's heap cap bounds it, each call's time limit ends it.
   * @throws Error when the process cannot be started.
   */
  static async start(sandbox: Sandbox, spawn: FileHelperSpawn): Promise<FileHelperProcess> {
    const proc = await sandbox.spawn(spawn.argv, {
      layout: "files",
      workspace: spawn.workspace,
      executables: [spawn.executable],
      limits: false,
      hostEnv: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", PATH: "/usr/bin:/bin" },
      stdin: "piped",
    });
    return new FileHelperProcess(proc);
  }

  /** False once the helper exited or was killed. */
  get alive(): boolean {
    return this.#alive;
  }

  /** True while a request is in flight. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Kills the helper and waits until it is gone. */
  async kill(): Promise<void> {
    this.#alive = false;
    this.#proc.kill();
    await this.exited;
  }

  /**
   * Sends one request and returns the answer. Timeouts, aborts, oversized or garbled answers
   * kill the helper.
   * @throws FileHelperError when the helper is gone, dies, times out or answers nonsense.
   * @throws the signal's reason when the turn was aborted.
   */
  async request(request: FileHelperRequest, limits: FileHelperLimits): Promise<FileHelperResponse> {
    limits.signal.throwIfAborted();
    if (!this.#alive) throw new FileHelperError("the file helper has stopped");
    if (this.#busy) throw new FileHelperError("the file helper is busy with another request");
    this.#busy = true;
    let ended: "timeout" | "abort" | null = null;
    const stop = (why: "timeout" | "abort") => {
      ended ??= why;
      this.#alive = false;
      this.#proc.kill();
    };
    const timer = setTimeout(() => stop("timeout"), limits.timeoutMs);
    const onAbort = () => stop("abort");
    limits.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const bytes = new TextEncoder().encode(JSON.stringify(request) + "\n");
      // Not awaited before reading: a large request fills the pipe until the helper reads it.
      const writing = this.#stdin.write(bytes).then(() => true, () => false);
      const line = await this.#readLine(limits.maxResponseBytes);
      await writing;
      if (ended === "abort") throw limits.signal.reason ?? new Error("interrupted");
      if (ended === "timeout") {
        throw new FileHelperError(
          `the file operation did not finish within ${limits.timeoutMs / 1000} s and was ` +
            "stopped (a FIFO, a device or a very slow disk?)",
        );
      }
      if (line === "too_large") {
        this.#alive = false;
        this.#proc.kill();
        throw new FileHelperError("the file helper's answer was too large");
      }
      if (line === null) throw await this.#crashed();
      try {
        return JSON.parse(new TextDecoder().decode(line)) as FileHelperResponse;
      } catch {
        this.#alive = false;
        this.#proc.kill();
        throw new FileHelperError("the file helper answered something that is not JSON");
      }
    } finally {
      clearTimeout(timer);
      limits.signal.removeEventListener("abort", onAbort);
      this.#busy = false;
    }
  }

  /** The next answer line; null when stdout ended first; "too_large" past `max` bytes. */
  async #readLine(max: number): Promise<Uint8Array | null | "too_large"> {
    const parts: Uint8Array[] = [];
    let size = 0;
    let next = this.#leftover;
    this.#leftover = null;
    while (true) {
      if (!next) {
        try {
          const { done, value } = await this.#stdout.read();
          if (done) return null;
          next = value;
        } catch {
          return null;
        }
      }
      const end = next.indexOf(NEWLINE);
      if (end >= 0) {
        if (end + 1 < next.length) this.#leftover = next.slice(end + 1);
        parts.push(next.subarray(0, end));
        return concatBytes(parts);
      }
      size += next.length;
      if (size > max) return "too_large";
      parts.push(next);
      next = null;
    }
  }

  /** The error for a helper that ended without answering, with the end of what it said. */
  async #crashed(): Promise<FileHelperError> {
    this.#alive = false;
    await settlesWithin(this.exited, PIPE_GRACE_MS);
    const why = this.#stderr.text().trim().split("\n").slice(-3).join(" ");
    const how = this.#status
      ? this.#status.signal ? `killed by ${this.#status.signal}` : `exit ${this.#status.code}`
      : "no answer";
    return new FileHelperError(
      `the sandboxed file helper stopped (${how})${why ? `: ${why}` : ""}`,
    );
  }
}
