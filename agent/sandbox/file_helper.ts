/**
 * How the file helper (file_helper_program.ts) is started: `deno eval` of its source when Herald
 * runs on deno, or Herald's own executable with {@link FILE_HELPER_ARG} when it is compiled.
 * file_helper_session.ts runs it in the sandbox; bench/sandbox.ts measures it.
 * @module
 */
import { basename } from "node:path";
import { fileHelperMain } from "./file_helper_program.ts";

/** The argument that makes a compiled Herald executable run the file helper (see main.ts). */
export const FILE_HELPER_ARG = "__file-helper";

/** The helper's source, as `deno eval` runs it. */
const PROGRAM = `(${fileHelperMain.toString()})().catch((e) => {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ ok: false, code: "failed", message: String(e?.message ?? e) }) + "\\n"));
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
