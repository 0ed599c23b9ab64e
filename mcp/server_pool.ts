/**
 * Every configured MCP server, started together in the background, with their tools kept in the
 * agent's registry as they come and go (connect, `tools/list_changed`, crash, reconnect).
 * @module
 */
import { z } from "zod";
import type { McpServerConfig } from "../config/mod.ts";
import type { Tool, ToolRegistry } from "../agent/mod.ts";
import {
  type McpConnectionDeps,
  McpServerConnection,
  type McpServerStatus,
  type McpToolInfo,
} from "./server_connection.ts";
import { namespacedToolNames } from "./tool_names.ts";
import { renderToolResult } from "./tool_result.ts";

/** Options for {@link McpServerPool}. */
export interface McpServerPoolOptions extends Omit<McpConnectionDeps, "onChange"> {
  /** Where state changes are logged (`mcp: github ready (12 tools)`). */
  log?: (line: string) => void;
  /** The registry the servers' tools are kept in; none for `herald mcp` and the doctor. */
  registry?: ToolRegistry;
  /** Longest result text the model sees. */
  maxResultChars: number;
}

/**
 * Runs the configured MCP servers.
 *
 * @example
 * ```ts
 * const pool = new McpServerPool(config.mcp_servers, { registry, maxResultChars: 50_000, … });
 * pool.start();              // returns at once; servers connect in the background
 * await pool.settled(3000);  // optional: wait a little for the banner
 * await pool.close();        // on shutdown
 * ```
 */
export class McpServerPool {
  readonly #connections = new Map<string, McpServerConnection>();
  readonly #options: McpServerPoolOptions;
  /** The registry names each server's tools are registered under. */
  readonly #registered = new Map<string, string[]>();
  readonly #lastLogged = new Map<string, string>();

  constructor(servers: Record<string, McpServerConfig>, options: McpServerPoolOptions) {
    this.#options = options;
    for (const [name, config] of Object.entries(servers)) {
      this.#connections.set(
        name,
        new McpServerConnection(name, config, {
          ...options,
          onChange: (status) => this.#changed(status),
        }),
      );
    }
  }

  /** The number of configured servers (disabled ones included). */
  get size(): number {
    return this.#connections.size;
  }

  /** Starts connecting every enabled server; returns at once. */
  start(): void {
    for (const connection of this.#connections.values()) connection.start();
  }

  /** Resolves when every server's first attempt is over, or after `timeoutMs`, whichever first. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.#connections.values()].map((c) => c.settled())),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** Every server's state, in configuration order. */
  statuses(): McpServerStatus[] {
    return [...this.#connections.values()].map((c) => c.status());
  }

  /** One server's connection. */
  connection(name: string): McpServerConnection | undefined {
    return this.#connections.get(name);
  }

  /** The tools currently offered, as registry tools (include/exclude applied). */
  tools(): Tool[] {
    const taken = new Set<string>(this.#options.registry?.names() ?? []);
    const tools: Tool[] = [];
    for (const connection of this.#connections.values()) {
      const status = connection.status();
      if (status.state !== "ready") continue;
      const made = this.#toolsOf(connection, status.tools, taken);
      for (const tool of made) taken.add(tool.name);
      tools.push(...made);
    }
    return tools;
  }

  /** Stops every server (stdio children are killed with their process group). */
  async close(): Promise<void> {
    await Promise.all([...this.#connections.values()].map((c) => c.close()));
  }

  #changed(status: McpServerStatus): void {
    this.#log(status);
    const registry = this.#options.registry;
    const connection = this.#connections.get(status.name);
    if (!registry || !connection) return;
    for (const name of this.#registered.get(status.name) ?? []) registry.unregister(name);
    const taken = new Set(registry.names());
    const tools = status.state === "ready" ? this.#toolsOf(connection, status.tools, taken) : [];
    for (const tool of tools) registry.register(tool);
    this.#registered.set(status.name, tools.map((t) => t.name));
  }

  #toolsOf(
    connection: McpServerConnection,
    infos: McpToolInfo[],
    taken: ReadonlySet<string>,
  ): Tool[] {
    const { include_tools, exclude_tools } = connection.config;
    const offered = infos.filter((t) =>
      (!include_tools || include_tools.includes(t.name)) && !exclude_tools.includes(t.name)
    );
    const names = namespacedToolNames(connection.name, offered.map((t) => t.name), taken);
    return offered.map((info) =>
      mcpTool(connection, info, names.get(info.name)!, this.#options.maxResultChars)
    );
  }

  #log(status: McpServerStatus): void {
    const log = this.#options.log;
    if (!log) return;
    let line: string | undefined;
    if (status.state === "ready") {
      line = `mcp: ${status.name} ready (${status.tools.length} tools)`;
    } else if (status.state === "failed") {
      line = `mcp: ${status.name} failed: ${status.error} (retrying)`;
    }
    // The same failure over and over (a server down for an hour) is logged once.
    if (!line || this.#lastLogged.get(status.name) === line) return;
    this.#lastLogged.set(status.name, line);
    log(line);
  }
}

/** An MCP server's tool as a registry tool: the model calls it by its namespaced name. */
export function mcpTool(
  connection: McpServerConnection,
  info: McpToolInfo,
  name: string,
  maxResultChars: number,
): Tool {
  const annotations = info.annotations ?? {};
  const readOnly = annotations.readOnlyHint === true;
  return {
    name,
    description: info.description || info.title || annotations.title ||
      `The ${info.name} tool of the ${connection.name} MCP server.`,
    parameters: z.record(z.string(), z.unknown()),
    inputSchema: objectSchema(info.inputSchema),
    readOnly,
    origin: connection.name,
    mcp: {
      name: info.name,
      destructive: !readOnly && annotations.destructiveHint !== false,
      ...(connection.config.approval ? { approval: connection.config.approval } : {}),
    },
    // MCP's defaults: a tool not marked read-only may change things, destructively unless it
    // says otherwise; such calls are "dangerous" for the approval policy.
    classify: () =>
      readOnly || annotations.destructiveHint === false ? { dangerous: false } : {
        dangerous: true,
        reason: `the ${connection.name} MCP server does not mark ${info.name} as read-only or ` +
          "non-destructive",
      },
    execute: async (args, context) => {
      const result = await connection.callTool(info.name, args, { signal: context.signal });
      return renderToolResult(result, maxResultChars);
    },
  };
}

// Upstreams want an object schema with `properties`; some servers leave them out.
function objectSchema(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(schema ?? {}) };
  delete copy.$schema;
  copy.type = "object";
  if (typeof copy.properties !== "object" || copy.properties === null) copy.properties = {};
  return copy;
}
