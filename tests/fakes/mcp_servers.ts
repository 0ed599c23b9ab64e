/**
 * The MCP servers the tests start: the npm reference servers, run by Deno from the npm registry
 * (pinned here), and the SDK-built fixture server beside this file.
 * @module
 */
import type { McpServerConfig } from "../../config/mod.ts";
import { McpServerSchema } from "../../config/mod.ts";

/** `@modelcontextprotocol/server-everything`: every MCP feature, over stdio or HTTP. */
export const SERVER_EVERYTHING = "npm:@modelcontextprotocol/server-everything@2026.8.31";
/** `@modelcontextprotocol/server-memory`: a knowledge graph kept in a JSON file. */
export const SERVER_MEMORY = "npm:@modelcontextprotocol/server-memory@2026.8.31";
/** The fixture server. */
export const FIXTURE_SERVER = new URL("./mcp_fixture_server.ts", import.meta.url).pathname;

/** Settings for a stdio server run with `deno run -A <spec> ...args`. */
export function denoStdioServer(
  spec: string,
  args: string[] = [],
  extra: Partial<McpServerConfig> & { env?: Record<string, string> } = {},
): McpServerConfig {
  return McpServerSchema.parse({
    command: Deno.execPath(),
    args: ["run", "-A", "--quiet", spec, ...args],
    connect_timeout: 120, // the first run downloads the package from the npm registry
    ...extra,
    env: {
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...(extra.env ?? {}),
    },
  });
}

/** Herald's environment as the tests pass it: enough for `deno` to find its cache. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}
