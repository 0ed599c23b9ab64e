/**
 * The OS sandbox for the tools that touch the machine: bubblewrap on Linux, a generated
 * sandbox-exec profile on macOS, per-call cgroups or rlimits, and a runner that honours the
 * turn's time limit and AbortSignal with output capped while it is read.
 *
 * @example
 * ```ts
 * const sandbox = await Sandbox.create(sandboxSettings({ mode: "workspace-write" }));
 * const result = await runInSandbox(sandbox, ["bash", "-c", "ls"], {
 *   layout: "terminal", workspace, timeoutMs: 10_000, signal, maxStdout: 50_000, maxStderr: 50_000,
 * });
 * ```
 * @module
 */

// The sandbox and how to run a process in it.
export {
  Sandbox,
  type SandboxedProcess,
  type SandboxSpawnOptions,
  type SandboxStatus,
  shellQuote,
} from "./sandbox.ts";
export { runInSandbox, type SandboxRunOptions, type SandboxRunResult } from "./run.ts";
export { CappedBuffer } from "./capped_buffer.ts";

// Settings and what the machine offers.
export {
  DEFAULT_SANDBOX_LIMITS,
  type SandboxLimits,
  type SandboxMode,
  type SandboxSettings,
  sandboxSettings,
} from "./settings.ts";
export { detectSandboxSupport, findExecutable, type SandboxSupport } from "./support.ts";

// The pieces, for tests and doctor.
export { bwrapArgs, type BwrapCall, MASKED_DIRS, SANDBOX_ENV } from "./bwrap_args.ts";
export { macosProfile, type MacosProfileCall, sbplString } from "./macos_profile.ts";
export { cgroupSupport, processLimitHolds, rlimitPreamble } from "./limits.ts";

// The file tools' sandboxed helper: one per turn, reused by the turn's calls.
export { FILE_HELPER_ARG, helperCommand, helperRuntime, runFileHelper } from "./file_helper.ts";
export type {
  FileHelperErrorCode,
  FileHelperRequest,
  FileHelperResponse,
} from "./file_helper_program.ts";
export {
  FileHelperError,
  type FileHelperLimits,
  FileHelperProcess,
} from "./file_helper_process.ts";
export {
  callFileHelper,
  FILE_HELPER_IDLE_MS,
  type FileHelperCall,
  FileHelperSession,
  type FileHelperSessionOptions,
} from "./file_helper_session.ts";
export { FileHelperPool, MAX_KEPT_FILE_HELPERS, sharedFileHelperPool } from "./file_helper_pool.ts";
