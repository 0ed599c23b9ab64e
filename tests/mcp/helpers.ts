/**
 * Shared set-up for the MCP tests: a pool of real MCP servers feeding a real tool registry, and
 * waiting for conditions without timing assertions.
 * @module
 */
import type { McpServerConfig } from "../../config/mod.ts";
import { ToolRegistry } from "../../agent/tools/mod.ts";
import { McpServerPool } from "../../mcp/mod.ts";
import { testEnv } from "../fakes/mcp_servers.ts";

/** A started pool, its registry and its log, closed by `await using`. */
export interface PoolHarness {
  pool: McpServerPool;
  registry: ToolRegistry;
  log: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a pool over the given servers and waits for their first attempts. */
export async function startPool(
  servers: Record<string, McpServerConfig>,
  options: { env?: Record<string, string>; maxResultChars?: number; wait?: boolean } = {},
): Promise<PoolHarness> {
  const registry = new ToolRegistry();
  const log: string[] = [];
  const pool = new McpServerPool(servers, {
    workspace: Deno.cwd(),
    env: testEnv(options.env),
    clientInfo: { name: "herald-test", version: "0" },
    registry,
    maxResultChars: options.maxResultChars ?? 50_000,
    log: (line) => log.push(line),
    backoffMs: 50,
    maxBackoffMs: 200,
  });
  pool.start();
  if (options.wait !== false) await pool.settled(300_000);
  return { pool, registry, log, [Symbol.asyncDispose]: () => pool.close() };
}

/** Polls `check` every 20 ms until it is truthy; fails after `limitMs` (a hang, not a timing). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  limitMs = 120_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A tool context for direct registry calls. */
export function toolContext(signal: AbortSignal = new AbortController().signal) {
  return { signal, workspace: Deno.cwd(), platform: "api_server" as const };
}
