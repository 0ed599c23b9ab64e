/**
 * What the `/mcp` endpoint is built from (shared by the endpoint and its sessions).
 * @module
 */
import type { ToolRegistry } from "../../agent/mod.ts";
import type { AskDeps } from "./ask_tool.ts";

/** What the endpoint is built from. */
export interface McpEndpointOptions extends AskDeps {
  /** Herald's name and version, sent in `initialize`. */
  serverInfo: { name: string; version: string };
  /**
   * Also offer these tools of the registry directly (`mcp.expose_tools`); each call runs as the
   * API front door's tools do. Empty or absent: only `ask`.
   */
  exposedTools?: () => string[];
  registry?: ToolRegistry;
  /** The workspace exposed tools run in. */
  workspace?: string;
  /** Most sessions kept at once; default 64. */
  maxSessions?: number;
  /** Milliseconds a session may stay unused before it is closed; default 30 minutes. */
  idleMs?: number;
}
