/**
 * Runs one file-tool request in the sandbox: the helper program (file_helper_program.ts) is
 * started with `deno eval` in the `files` layout — only the roots and the system libraries
 * exist there — one process per call, killed on timeout or abort. Measured in bench/sandbox.ts.
 * @module
 */
import { basename } from "node:path";
import {
  fileHelperMain,
  type FileHelperRequest,
  type FileHelperResponse,
} from "./file_helper_program.ts";
import { runInSandbox } from "./run.ts";
import type { Sandbox } from "./sandbox.ts";

export type {
  FileHelperErrorCode,
  FileHelperRequest,
  FileHelperResponse,
} from "./file_helper_program.ts";

/** Extra room for JSON escaping over the largest file a request may return. */
const RESPONSE_SLACK_BYTES = 1024 * 1024;

/** The helper failed to run at all (no deno, killed, garbled answer). */
export class FileHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FileHelperError";
  }
}

/** The argument that makes a compiled Herald executable run the file helper (see main.ts). */
export const FILE_HELPER_ARG = "__file-helper";

/** The helper's source, as `deno eval` runs it. */
const PROGRAM = `(${fileHelperMain.toString()})().catch((e) => {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ ok: false, code: "failed", message: String(e?.message ?? e) })));
});`;

/**
 * The command that starts the helper: `deno eval <program>` when Herald runs on deno (source or
 * bundle), or Herald's own executable with {@link FILE_HELPER_ARG} when it is a compiled binary.
 *
 * @example
 * ```ts
 * helperCommand("/usr/bin/deno"); // ["/usr/bin/deno", "eval", "--no-config", …]
 * helperCommand("/usr/local/bin/herald"); // ["/usr/local/bin/herald", "__file-helper"]
 * ```
 */
export function helperCommand(executable: string): string[] {
  if (!/^deno(\.exe)?$/.test(basename(executable))) return [executable, FILE_HELPER_ARG];
  return [
    executable,
    "eval",
    "--no-config",
    "--quiet",
    "--v8-flags=--max-old-space-size=256",
    PROGRAM,
  ];
}

let runtime: Promise<string> | undefined;

/** The executable the helper runs on (symlinks resolved, so the sandbox can show it). */
export function helperRuntime(): Promise<string> {
  runtime ??= Deno.realPath(Deno.execPath()).catch(() => Deno.execPath());
  return runtime;
}

/** Runs the helper in this process: what a compiled Herald does when given {@link FILE_HELPER_ARG}. */
export async function runFileHelper(): Promise<void> {
  await fileHelperMain();
}

/** Options for {@link callFileHelper}. */
export interface FileHelperCall {
  workspace: string;
  signal: AbortSignal;
  timeoutMs: number;
  /** Largest answer accepted, in bytes (the file size cap plus room for escaping). */
  maxResponseBytes: number;
}

/**
 * Sends one request to a fresh sandboxed helper and returns its answer.
 * @throws FileHelperError when the helper cannot run, times out, or answers nonsense.
 * @throws the signal's reason when the turn was aborted.
 */
export async function callFileHelper(
  sandbox: Sandbox,
  request: FileHelperRequest,
  call: FileHelperCall,
): Promise<FileHelperResponse> {
  const executable = await helperRuntime();
  const result = await runInSandbox(sandbox, helperCommand(executable), {
    layout: "files",
    workspace: call.workspace,
    executables: [executable],
    // Herald's own program, not the model's: V8's heap cap bounds it, the time limit ends it.
    limits: false,
    hostEnv: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", PATH: "/usr/bin:/bin" },
    input: new TextEncoder().encode(JSON.stringify(request)),
    timeoutMs: call.timeoutMs,
    signal: call.signal,
    maxStdout: call.maxResponseBytes + RESPONSE_SLACK_BYTES,
    maxStderr: 4096,
  });
  if (result.ended === "abort") throw call.signal.reason ?? new Error("interrupted");
  if (result.ended === "timeout") {
    throw new FileHelperError(
      `the file operation did not finish within ${call.timeoutMs / 1000} s and was stopped ` +
        "(a FIFO, a device or a very slow disk?)",
    );
  }
  const bytes = result.stdout.bytes();
  if (!bytes) throw new FileHelperError("the file helper's answer was too large");
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as FileHelperResponse;
  } catch {
    const why = result.stderr.text().trim().split("\n").slice(-3).join(" ");
    throw new FileHelperError(
      `the sandboxed file helper failed (exit ${result.code})${why ? `: ${why}` : ""}`,
    );
  }
}
