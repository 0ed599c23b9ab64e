/**
 * Wires the configured MCP servers into a gateway: their tools go into the agent's registry as
 * they connect, their state goes into the banner and the log. The MCP code is loaded only when
 * servers are configured, so a gateway without them pays nothing at start-up.
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import type { ResolvedConfig } from "../config/mod.ts";
import type { Sandbox, ToolRegistry } from "../agent/mod.ts";
import type { McpServerPool, McpServerStatus } from "../mcp/mod.ts";

/**
 * Starts connecting every enabled MCP server in the background and returns at once; undefined
 * when none is configured.
 */
export async function startMcpServers(
  resolved: ResolvedConfig,
  runtime: { registry: ToolRegistry; sandbox: Sandbox },
  log: (line: string) => void,
  env: Record<string, string> = Deno.env.toObject(),
): Promise<McpServerPool | undefined> {
  const servers = resolved.config.mcp_servers;
  if (Object.keys(servers).length === 0) return undefined;
  const { McpServerPool, mcpSandboxLauncher } = await import("../mcp/mod.ts");
  const registry = runtime.registry;
  const pool = new McpServerPool(servers, {
    workspace: resolved.workspace,
    env,
    // stdio servers run in the tool sandbox unless their config says `sandbox: false`.
    sandbox: mcpSandboxLauncher(runtime.sandbox, resolved.workspace),
    clientInfo: { name: "herald", version: denoJson.version },
    registry,
    maxResultChars: resolved.config.mcp.max_result_chars,
    log,
  });
  pool.start();
  return pool;
}

/** The banner's MCP lines: one summary line, and a warning per server that is not up. */
export function mcpBannerLines(statuses: readonly McpServerStatus[]): string[] {
  if (statuses.length === 0) return [];
  const summary = statuses.map((s) =>
    (s.state === "ready" ? `${s.name} (${s.tools.length} tools)` : `${s.name} ${s.state}`) +
    (s.kind === "stdio" && s.state !== "disabled" && !s.sandboxed ? " unsandboxed" : "")
  );
  const lines = [`  MCP         ${summary.join(", ")}`];
  for (const s of statuses) {
    if (s.state === "failed") {
      lines.push(`  warning: MCP server ${s.name} failed: ${s.error} (retrying in the background)`);
    }
  }
  return lines;
}
