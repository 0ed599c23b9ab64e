/**
 * `herald mcp list` and `herald mcp call <server> <tool> <json>`: connect to the configured MCP
 * servers from the command line (as the gateway would, sandbox included) to see their state and
 * tools, or to try one call. Also the MCP lines of `herald doctor`.
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import type { ResolvedConfig } from "../config/mod.ts";
import { createSandbox } from "../gateway/mod.ts";
import {
  mcpSandboxLauncher,
  McpServerPool,
  type McpServerStatus,
  renderToolResult,
} from "../mcp/mod.ts";
import { UsageError } from "./args.ts";
import { type CliIo, styler } from "./io.ts";

/** Starts the named servers (all configured ones by default) and waits for their first try. */
async function connect(
  resolved: ResolvedConfig,
  io: CliIo,
  only?: string,
): Promise<McpServerPool> {
  const all = resolved.config.mcp_servers;
  const servers = only ? { [only]: { ...all[only], enabled: true } } : all;
  const sandbox = await createSandbox(resolved);
  const env = Object.fromEntries(
    Object.entries(io.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const pool = new McpServerPool(servers, {
    workspace: resolved.workspace,
    env,
    sandbox: mcpSandboxLauncher(sandbox, resolved.workspace),
    clientInfo: { name: "herald", version: denoJson.version },
    maxResultChars: resolved.config.mcp.max_result_chars,
  });
  pool.start();
  const longest = Math.max(0, ...Object.values(servers).map((s) => s.connect_timeout));
  await pool.settled(longest * 1000 + 1000);
  return pool;
}

/** `herald mcp list`: every configured server, its state, and its tools. Exit 1 if any failed. */
export async function runMcpList(resolved: ResolvedConfig, io: CliIo): Promise<number> {
  const style = styler(io.color);
  if (Object.keys(resolved.config.mcp_servers).length === 0) {
    io.stdout.write(
      "No MCP servers are configured (mcp_servers in config.yaml; see docs/mcp.md).\n",
    );
    return 0;
  }
  const pool = await connect(resolved, io);
  try {
    const statuses = pool.statuses();
    for (const status of statuses) {
      io.stdout.write(`${describeServer(status, style)}\n`);
      const config = resolved.config.mcp_servers[status.name];
      for (const tool of status.tools) {
        const offered = (!config.include_tools || config.include_tools.includes(tool.name)) &&
          !config.exclude_tools.includes(tool.name);
        const summary = (tool.description ?? "").split("\n")[0].slice(0, 80);
        io.stdout.write(
          `    ${offered ? tool.name : style.dim(`${tool.name} (excluded)`)}  ${
            style.dim(summary)
          }\n`,
        );
      }
    }
    return statuses.some((s) => s.state === "failed" || s.state === "connecting") ? 1 : 0;
  } finally {
    await pool.close();
  }
}

/** `herald mcp call <server> <tool> [json]`: one call, its result printed as the model sees it. */
export async function runMcpCall(
  resolved: ResolvedConfig,
  io: CliIo,
  positionals: string[],
): Promise<number> {
  const [server, tool, json = "{}"] = positionals;
  if (!server || !tool || positionals.length > 3) {
    throw new UsageError("Usage: herald mcp call <server> <tool> ['<json arguments>'].");
  }
  if (!resolved.config.mcp_servers[server]) {
    const known = Object.keys(resolved.config.mcp_servers).join(", ") || "none";
    throw new UsageError(`No MCP server named "${server}" is configured (configured: ${known}).`);
  }
  let args: unknown;
  try {
    args = JSON.parse(json);
  } catch (error) {
    throw new UsageError(`The arguments are not JSON: ${(error as Error).message}.`);
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new UsageError('The arguments must be a JSON object, e.g. \'{"message": "hi"}\'.');
  }
  const pool = await connect(resolved, io, server);
  try {
    const connection = pool.connection(server)!;
    const status = connection.status();
    if (status.state !== "ready") {
      io.stderr.write(`herald: MCP server ${server} is ${status.state}: ${status.error ?? ""}\n`);
      return 1;
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    try {
      Deno.addSignalListener("SIGINT", stop);
    } catch { /* no signals here (tests, Windows) */ }
    try {
      const result = await connection.callTool(tool, args as Record<string, unknown>, {
        signal: controller.signal,
      });
      const rendered = renderToolResult(result, resolved.config.mcp.max_result_chars);
      (rendered.isError ? io.stderr : io.stdout).write(`${rendered.output}\n`);
      return rendered.isError ? 1 : 0;
    } catch (error) {
      io.stderr.write(`herald: ${server}/${tool} failed: ${(error as Error).message}\n`);
      return 1;
    } finally {
      try {
        Deno.removeSignalListener("SIGINT", stop);
      } catch { /* as above */ }
    }
  } finally {
    await pool.close();
  }
}

/** The doctor's MCP lines: one per configured server, ✓ ready, ✗ failed with the reason. */
export async function checkMcpServers(
  resolved: ResolvedConfig,
  io: CliIo,
): Promise<{ ok: boolean | null; line: string }[]> {
  if (Object.keys(resolved.config.mcp_servers).length === 0) return [];
  const pool = await connect(resolved, io);
  try {
    return pool.statuses().map((s) => ({
      ok: s.state === "ready" ? true : s.state === "disabled" ? null : false,
      line: `MCP ${s.name}: ${
        s.state === "ready"
          ? `ready, ${s.tools.length} tools${
            s.kind === "stdio" ? (s.sandboxed ? ", sandboxed" : ", not sandboxed") : ""
          }`
          : s.state === "disabled"
          ? "disabled (enabled: false)"
          : `${s.state}: ${
            s.error ?? "no answer yet"
          }. Fix: check mcp_servers.${s.name} (herald mcp list shows the details).`
      }`,
    }));
  } finally {
    await pool.close();
  }
}

function describeServer(status: McpServerStatus, style: ReturnType<typeof styler>): string {
  const where = status.kind === "stdio"
    ? `stdio${status.sandboxed ? ", sandboxed" : ", not sandboxed"}`
    : status.transport ?? "remote";
  const info = status.serverInfo ? ` ${status.serverInfo.name} ${status.serverInfo.version}` : "";
  if (status.state === "ready") {
    return `${style.green("✓")} ${
      style.bold(status.name)
    }  ready (${where})${info}, ${status.tools.length} tools`;
  }
  if (status.state === "disabled") return `${style.dim("–")} ${status.name}  disabled`;
  return `${style.red("✗")} ${style.bold(status.name)}  ${status.state}: ${
    status.error ?? "no answer yet"
  }`;
}
