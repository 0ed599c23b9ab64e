/**
 * A turn's file helper: started at the turn's first file call, it serves the turn's calls one
 * at a time and is killed when the session closes (the turn ended), when the turn's signal
 * aborts, after it idled too long, or when the gateway-wide cap needs its place. A helper that
 * died, was killed, or whose roots were replaced is started again for the next call; the call
 * that was running when it died gets the error.
 * @module
 */
import { helperCommand, helperRuntime } from "./file_helper.ts";
import type { FileHelperRequest, FileHelperResponse } from "./file_helper_program.ts";
import {
  type FileHelperOwner,
  type FileHelperPool,
  sharedFileHelperPool,
} from "./file_helper_pool.ts";
import {
  FileHelperError,
  type FileHelperLimits,
  FileHelperProcess,
} from "./file_helper_process.ts";
import type { Sandbox } from "./sandbox.ts";

/** How long a kept helper may wait for its next call before it is killed. */
export const FILE_HELPER_IDLE_MS = 60_000;

/** Options for a {@link FileHelperSession}. */
export interface FileHelperSessionOptions {
  /** The workspace of the turn (absolute): the helper's root with the sandbox's extra roots. */
  workspace: string;
  /** The turn's signal: aborting it kills the helper at once. */
  signal?: AbortSignal;
  /** Kill the helper after this long without a call. Default {@link FILE_HELPER_IDLE_MS}. */
  idleMs?: number;
  /** Where the cap on live helpers is kept. Default the gateway-wide pool. */
  pool?: FileHelperPool;
  /** False: one helper per call, ended after it (what a call outside any turn gets). */
  keep?: boolean;
}

/**
 * One turn's sandboxed file helper, reused by its calls.
 *
 * @example
 * ```ts
 * await using session = new FileHelperSession(sandbox, { workspace, signal });
 * const a = await session.call({ op: "read", path, roots, maxBytes }, limits);
 * const b = await session.call({ op: "read", path: other, roots, maxBytes }, limits); // same helper
 * ```
 */
export class FileHelperSession implements FileHelperOwner {
  #sandbox: Sandbox;
  #workspace: string;
  #signal?: AbortSignal;
  #idleMs: number;
  #pool: FileHelperPool;
  #keep: boolean;
  #helper: FileHelperProcess | null = null;
  #kept = false;
  #roots = "";
  #queue: Promise<void> = Promise.resolve();
  #inCall = false;
  #idleTimer?: ReturnType<typeof setTimeout>;
  #closed = false;
  #started = 0;
  /** Kills sent and not yet finished (an abort's, an idle timer's): close waits for them. */
  #stopping = new Set<Promise<void>>();
  #onAbort = () => {
    this.#retire().catch(() => {});
  };

  constructor(sandbox: Sandbox, options: FileHelperSessionOptions) {
    this.#sandbox = sandbox;
    this.#workspace = options.workspace;
    this.#signal = options.signal;
    this.#idleMs = options.idleMs ?? FILE_HELPER_IDLE_MS;
    this.#pool = options.pool ?? sharedFileHelperPool;
    this.#keep = options.keep ?? true;
    this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** True when no call is running (the pool may evict the helper). */
  get idle(): boolean {
    return !this.#inCall;
  }

  /** The live helper's host pid, or null when none runs. */
  get pid(): number | null {
    return this.#helper?.alive ? this.#helper.pid : null;
  }

  /** The current helper (alive or not yet noticed dead), for tests and debugging. */
  get helper(): FileHelperProcess | null {
    return this.#helper;
  }

  /** How many helpers this session started so far. */
  get started(): number {
    return this.#started;
  }

  /**
   * Runs one request in the session's helper, starting one when none is alive; calls wait
   * for the one before them.
   * @throws FileHelperError when the helper cannot run, dies, times out or answers nonsense.
   * @throws the signal's reason when the call or the turn was aborted.
   */
  async call(request: FileHelperRequest, limits: FileHelperLimits): Promise<FileHelperResponse> {
    limits.signal.throwIfAborted();
    this.#signal?.throwIfAborted();
    if (this.#closed) throw new FileHelperError("the turn's file helper was closed");
    const release = await this.#turn(limits.signal);
    if (this.#closed) {
      release();
      throw new FileHelperError("the turn's file helper was closed");
    }
    this.#inCall = true;
    clearTimeout(this.#idleTimer);
    let helper: FileHelperProcess | null = null;
    try {
      helper = await this.#ready();
      return await helper.request(request, limits);
    } finally {
      if (helper && (!helper.alive || !this.#kept || this.#closed || this.#signal?.aborted)) {
        await this.#retire();
      } else if (helper) {
        this.#pool.touch(helper);
        this.#idleTimer = setTimeout(() => {
          if (!this.#inCall) this.#retire().catch(() => {});
        }, this.#idleMs);
      }
      this.#inCall = false;
      release();
    }
  }

  /** Kills the helper and refuses further calls. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    await this.#retire();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Waits for the calls before this one; the returned function lets the next one go. */
  async #turn(signal: AbortSignal): Promise<() => void> {
    const before = this.#queue;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => release = resolve);
    this.#queue = before.then(() => mine);
    try {
      await untilAborted(before, signal);
    } catch (error) {
      // Aborted while waiting: the next call still waits for the ones before this one.
      before.then(release);
      throw error;
    }
    return release;
  }

  /** The live helper, or a new one when it died, was evicted, or its roots were replaced. */
  async #ready(): Promise<FileHelperProcess> {
    const roots = await this.#rootIdentity();
    if (this.#helper?.alive && roots === this.#roots) return this.#helper;
    await this.#retire();
    const executable = await helperRuntime();
    this.#kept = this.#keep && this.#pool.reserve();
    let helper: FileHelperProcess;
    try {
      helper = await FileHelperProcess.start(this.#sandbox, {
        argv: helperCommand(executable),
        executable,
        workspace: this.#workspace,
      });
    } catch (error) {
      if (this.#kept) this.#pool.cancel();
      throw new FileHelperError(
        `the sandboxed file helper could not start: ${(error as Error)?.message ?? error}`,
      );
    }
    if (this.#kept) {
      this.#pool.add(helper, this);
      // Counted until it is gone, pipes and all (killed, or dead on its own): the pool's size is
      // the helpers alive now, which is what doctor, the tests and the bench read.
      const forget = () => this.#pool.remove(helper);
      helper.exited.then(forget, forget);
    }
    this.#helper = helper;
    this.#roots = roots;
    this.#started++;
    return helper;
  }

  /** Kills the current helper, if any, and waits until every helper it killed is gone. */
  async #retire(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const helper = this.#helper;
    if (helper) {
      this.#helper = null;
      const gone = helper.kill().catch(() => {});
      this.#stopping.add(gone);
      gone.finally(() => this.#stopping.delete(gone));
    }
    await Promise.all(this.#stopping);
  }

  /**
   * Which folders the roots are now: a helper binds the folders that existed when it started,
   * so a root replaced since (removed and made again) needs a new helper.
   */
  async #rootIdentity(): Promise<string> {
    const roots = [this.#workspace, ...this.#sandbox.settings.extraRoots];
    const ids = await Promise.all(roots.map(async (root) => {
      try {
        const info = await Deno.stat(root);
        return `${info.dev}:${info.ino}`;
      } catch {
        return "-";
      }
    }));
    return ids.join(",");
  }
}

/** Waits for `promise`, or rejects with the signal's reason when it aborts first. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error("interrupted"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

/** Extra room for JSON escaping over the largest file a request may return. */
const RESPONSE_SLACK_BYTES = 1024 * 1024;

/** Options for {@link callFileHelper}. */
export interface FileHelperCall {
  workspace: string;
  signal: AbortSignal;
  timeoutMs: number;
  /** Largest file content an answer may carry, in bytes (room for escaping is added). */
  maxResponseBytes: number;
}

/**
 * Sends one request to a fresh sandboxed helper, ended after it (a call outside any turn).
 * @throws FileHelperError when the helper cannot run, times out, or answers nonsense.
 * @throws the signal's reason when the call was aborted.
 */
export async function callFileHelper(
  sandbox: Sandbox,
  request: FileHelperRequest,
  call: FileHelperCall,
): Promise<FileHelperResponse> {
  await using session = new FileHelperSession(sandbox, { workspace: call.workspace, keep: false });
  return await session.call(request, {
    signal: call.signal,
    timeoutMs: call.timeoutMs,
    maxResponseBytes: call.maxResponseBytes + RESPONSE_SLACK_BYTES,
  });
}
