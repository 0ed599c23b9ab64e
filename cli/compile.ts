/**
 * Builds standalone herald executables with `deno compile` for every release target
 * (`deno task compile`, or `deno task compile x86_64-unknown-linux-gnu` for some of them), and
 * writes their SHA-256 sums to dist/SHA256SUMS. `deno compile` downloads a base runtime per
 * target; where that download is impossible this says so and points at `deno task bundle`.
 * @module
 */
import { fileURLToPath } from "node:url";
import { HERALD_RUN_FLAGS } from "./runtime_flags.ts";
import { sha256Hex } from "../lib/mod.ts";

/** The release targets: Linux x64/arm64, macOS x64/arm64, Windows x64. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/**
 * What the executable may do: network (API, upstream, Telegram), files (workspace, KV,
 * $HERALD_HOME), environment, subprocesses (the terminal tool) and system facts (home directory).
 */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
];

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The output file for a target, relative to the repository root. */
export function outputName(target: string): string {
  return `dist/herald-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** The `deno compile` arguments for one target. */
export function compileArgs(target: string): string[] {
  return [
    "compile",
    ...HERALD_RUN_FLAGS,
    // Types are checked once by `deno task check` before a release, not once per target.
    "--no-check",
    ...PERMISSIONS,
    // The platform workers are started by URL, so the module graph does not reach them on its own.
    "--include",
    "platforms/telegram/worker.ts",
    "--include",
    "platforms/slack/worker.ts",
    "--include",
    "platforms/discord/worker.ts",
    "--target",
    target,
    "--output",
    outputName(target),
    "main.ts",
  ];
}

/** Whether `deno compile` failed because it could not download the base runtime. */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /denort/i.test(stderr) &&
    /(error sending request|dns error|connect|timed out|download)/i.test(stderr);
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((target) => !(TARGETS as readonly string[]).includes(target));
  if (unknown.length > 0) {
    console.error(`Unknown target ${unknown.join(", ")}. Targets: ${TARGETS.join(", ")}.`);
    return 2;
  }
  const targets = args.length > 0 ? args : [...TARGETS];
  await Deno.mkdir(`${ROOT}dist`, { recursive: true });
  const sums: string[] = [];
  for (const target of targets) {
    console.error(`Compiling ${outputName(target)}…`);
    const output = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target),
      cwd: ROOT,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    if (!output.success) {
      if (isRuntimeDownloadFailure(stderr)) {
        console.error(
          `Cannot compile for ${target}: deno compile must download the denort base runtime for ` +
            "each target from the Deno release server, and that download is impossible from this " +
            "machine. `deno task bundle` works offline and writes dist/herald.js, which runs with " +
            "`deno run -A --unstable-kv --unstable-worker-options dist/herald.js`.",
        );
      } else {
        console.error(stderr.trim());
        console.error(`Cannot compile for ${target}: deno compile exited with ${output.code}.`);
      }
      return 1;
    }
    const bytes = await Deno.readFile(`${ROOT}${outputName(target)}`);
    const hex = await sha256Hex(bytes);
    sums.push(`${hex}  ${outputName(target).slice("dist/".length)}`);
  }
  await Deno.writeTextFile(`${ROOT}dist/SHA256SUMS`, sums.join("\n") + "\n");
  console.error(`Wrote ${targets.length} executable(s) and dist/SHA256SUMS.`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
