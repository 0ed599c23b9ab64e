/**
 * What configuring MCP servers adds to start-up: time to the first `GET /health` (servers connect
 * in the background, so this should not move) and time until the banner, which waits for the
 * servers (`mcp.startup_wait`), i.e. until both are connected and their tools listed. Two stdio
 * servers run with Deno from the npm registry (quick runs use the SDK-built test fixture twice,
 * which needs no download). One unmeasured run first fills the caches.
 * @module
 */
import { join } from "node:path";
import { spawnGateway, waitForHealth } from "./processes.ts";
import { median, round } from "./stats.ts";

/** Start-up figures in milliseconds, without and with two stdio MCP servers. */
export interface McpStartupResult {
  servers: string[];
  health_ms_without: number;
  health_ms_with: number;
  /** Banner printed: without servers, the end of start-up; with them, both servers connected. */
  ready_ms_without: number;
  ready_ms_with: number;
  added_health_ms: number;
  added_ready_ms: number;
}

const ROOT = new URL("..", import.meta.url).pathname;

function serverYaml(name: string, args: string[]): string {
  const denoDir = Deno.env.get("DENO_DIR");
  return [
    `  ${name}:`,
    `    command: ${JSON.stringify(Deno.execPath())}`,
    `    args: ${JSON.stringify(["run", "-A", "--quiet", ...args])}`,
    `    env: { DENO_NO_UPDATE_CHECK: "1"${
      denoDir ? `, DENO_DIR: ${JSON.stringify(denoDir)}` : ""
    } }`,
    // Deno's package cache is in the home folder, which the tool sandbox hides.
    `    sandbox: false`,
  ].join("\n");
}

function mcpYaml(quick: boolean): { yaml: string; servers: string[] } {
  const servers: [string, string[]][] = quick
    ? [
      ["fixture_a", [join(ROOT, "tests/fakes/mcp_fixture_server.ts")]],
      ["fixture_b", [join(ROOT, "tests/fakes/mcp_fixture_server.ts")]],
    ]
    : [
      ["everything", ["npm:@modelcontextprotocol/server-everything@2026.8.31", "stdio"]],
      ["memory", ["npm:@modelcontextprotocol/server-memory@2026.8.31"]],
    ];
  return {
    yaml: `mcp:\n  startup_wait: 120\nmcp_servers:\n${
      servers.map(([n, a]) => serverYaml(n, a)).join("\n")
    }\n`,
    servers: servers.map(([n]) => n),
  };
}

async function timeStart(
  upstream: string,
  configYaml: string | undefined,
  withMcp: boolean,
): Promise<{ health: number; ready: number }> {
  const gateway = await spawnGateway({ upstream, configYaml });
  try {
    const health = await waitForHealth(gateway, 60_000);
    // The banner's MCP line comes once every server answered (or startup_wait ran out).
    await gateway.child.waitForLine(withMcp ? /^ {2}MCP {9}/ : /^ {2}Telegram/, 120_000);
    const ready = performance.now() - gateway.child.startedAt;
    if (withMcp && !/\(\d+ tools\).*\(\d+ tools\)/.test(gateway.child.lines.join("\n"))) {
      throw new Error(`The MCP servers did not connect:\n${gateway.child.lines.join("\n")}`);
    }
    return { health, ready };
  } finally {
    await gateway.close();
  }
}

/** Measures start-up `runs` times each way, alternating. */
export async function benchMcpStartup(
  upstream: string,
  runs: number,
  quick: boolean,
): Promise<McpStartupResult> {
  const { yaml, servers } = mcpYaml(quick);
  const without = { health: [] as number[], ready: [] as number[] };
  const withMcp = { health: [] as number[], ready: [] as number[] };
  for (let i = 0; i <= runs; i++) {
    const a = await timeStart(upstream, undefined, false);
    const b = await timeStart(upstream, yaml, true);
    if (i === 0) continue; // fills Deno's module and package caches
    without.health.push(a.health);
    without.ready.push(a.ready);
    withMcp.health.push(b.health);
    withMcp.ready.push(b.ready);
  }
  const m = (values: number[]) => round(median(values), 1);
  return {
    servers,
    health_ms_without: m(without.health),
    health_ms_with: m(withMcp.health),
    ready_ms_without: m(without.ready),
    ready_ms_with: m(withMcp.ready),
    added_health_ms: round(m(withMcp.health) - m(without.health), 1),
    added_ready_ms: round(m(withMcp.ready) - m(without.ready), 1),
  };
}
