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
