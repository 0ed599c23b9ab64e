/**
 * Shared setup for the tool tests: a parsed config, a temporary workspace, a tool context.
 * @module
 */
import { type Config, ConfigSchema } from "../../../config/mod.ts";
import type { ToolContext } from "../../../agent/mod.ts";

/** A config with defaults, overridden by `input` (as it would appear in config.yaml). */
export function testConfig(input: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse(input);
}

/** A temporary directory (realpath'd), removed by the returned cleanup. */
export async function tempDir(): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix: "herald_tools_" }));
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** A tool context working in `workspace`. */
export function toolContext(workspace: string, signal = new AbortController().signal): ToolContext {
  return { signal, workspace, platform: "cli" };
}

/**
 * The host pids of the file helpers this test process runs for `workspace`, read from /proc:
 * children of this process whose command line is the helper's (bwrap names the workspace; an
 * unconfined helper works in it).
 */
export async function liveFileHelpers(workspace: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[0] is the state (Z: exited, not yet reaped), fields[1] the parent's pid.
      if (Number(fields[1]) !== Deno.pid || fields[0] === "Z") continue;
      const argv = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).split("\0");
      if (!argv.some((arg) => arg.includes("fileHelperMain"))) continue;
      const cwd = await Deno.readLink(`/proc/${entry.name}/cwd`).catch(() => "");
      if (argv.includes(workspace) || cwd === workspace) pids.push(Number(entry.name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids.sort((a, b) => a - b);
}
