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
import { findExecutable } from "./support.ts";

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

let denoPath: Promise<string | null> | undefined;

/** The deno executable the helper runs on: this one, or `deno` on PATH for a compiled Herald. */
export function helperRuntime(): Promise<string | null> {
  denoPath ??= (async () => {
    const own = Deno.execPath();
    if (/^deno(\.exe)?$/.test(basename(own))) return await Deno.realPath(own).catch(() => own);
    const found = await findExecutable("deno");
    return found ? await Deno.realPath(found).catch(() => found) : null;
  })();
  return denoPath;
}

/** The helper's source, as `deno eval` runs it. */
const PROGRAM = `(${fileHelperMain.toString()})().catch((e) => {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ ok: false, code: "failed", message: String(e?.message ?? e) })));
});`;

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
  const deno = await helperRuntime();
  if (!deno) {
    throw new FileHelperError(
      "the file tools need the deno executable (on PATH) to run their sandboxed helper",
    );
  }
  const result = await runInSandbox(sandbox, [
    deno,
    "eval",
    "--no-config",
    "--quiet",
    "--v8-flags=--max-old-space-size=256",
    PROGRAM,
  ], {
    layout: "files",
    workspace: call.workspace,
    executables: [deno],
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
