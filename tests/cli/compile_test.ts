/**
 * `deno task compile`: the flags baked into every executable, the targets, and the clear
 * message when `deno compile` cannot download its base runtime.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  compileArgs,
  isRuntimeDownloadFailure,
  outputName,
  PERMISSIONS,
  TARGETS,
} from "../../cli/compile.ts";
import { HERALD_MEMORY_FLAGS } from "../../cli/runtime_flags.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What `deno compile` 2.9 prints when dl.deno.land is unreachable. */
const OFFLINE_STDERR = `error: Writing deno compile executable to temporary file 'dist/x.tmp'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
    3: dns error`;

Deno.test("every release target is built: linux x64/arm64, macOS x64/arm64, Windows x64", () => {
  assert.deepEqual([...TARGETS].sort(), [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
  ]);
  assert.equal(outputName("x86_64-pc-windows-msvc"), "dist/herald-x86_64-pc-windows-msvc.exe");
  assert.equal(outputName("aarch64-apple-darwin"), "dist/herald-aarch64-apple-darwin");
});

Deno.test("compile bakes in the unstable flags, the Telegram worker and explicit permissions", () => {
  const args = compileArgs("aarch64-unknown-linux-gnu");
  assert.equal(args[0], "compile");
  const baked = [
    "--unstable-kv",
    "--unstable-worker-options",
    ...HERALD_MEMORY_FLAGS,
    ...PERMISSIONS,
  ];
  for (const flag of baked) assert.ok(args.includes(flag), flag);
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"), "no blanket -A");
  assert.equal(args[args.indexOf("--include") + 1], "platforms/telegram/worker.ts");
  assert.equal(args[args.indexOf("--target") + 1], "aarch64-unknown-linux-gnu");
  assert.equal(args[args.indexOf("--output") + 1], "dist/herald-aarch64-unknown-linux-gnu");
  assert.equal(args.at(-1), "main.ts");
});

Deno.test("a failed denort download is recognised; other compile errors are not", () => {
  assert.ok(isRuntimeDownloadFailure(OFFLINE_STDERR));
  assert.ok(!isRuntimeDownloadFailure('error: Module not found "file:///x/main.ts".'));
});

Deno.test("an unknown target exits 2 naming the valid ones", async () => {
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-read", "--allow-write", "cli/compile.ts", "vax-vms"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 2);
  assert.match(stderr, /^Unknown target vax-vms\. Targets: x86_64-unknown-linux-gnu, /);
  assert.ok(!stderr.includes("    at "), "no stack trace");
});
