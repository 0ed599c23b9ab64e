/**
 * A small MCP server built with the official SDK, spoken to over stdio, for the behaviours the
 * npm reference servers cannot be asked for on cue: a tool list that changes, a call that waits
 * until it is cancelled (and records the cancellation), a crash, a huge result, its environment.
 * Every event is appended to the file named by FIXTURE_LOG, one line each.
 *
 * Run: deno run -A tests/fakes/mcp_fixture_server.ts
 * @module
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const logPath = Deno.env.get("FIXTURE_LOG");
function record(line: string): void {
  if (logPath) Deno.writeTextFileSync(logPath, line + "\n", { append: true });
}

const server = new McpServer({ name: "herald-fixture", version: "1.0.0" }, {
  capabilities: { tools: { listChanged: true } },
});

server.registerTool("add_tool", {
  description: "Registers a new tool with the given name.",
  inputSchema: { name: z.string() },
}, ({ name }: { name: string }) => {
  server.registerTool(name, { description: `Added at run time: ${name}.` }, () => ({
    content: [{ type: "text", text: `${name} ran` }],
  }));
  record(`added ${name}`);
  return { content: [{ type: "text", text: `added ${name}` }] };
});

server.registerTool("wait", {
  description: "Waits until cancelled, or for ms milliseconds.",
  inputSchema: { ms: z.number().optional() },
}, async ({ ms }: { ms?: number }, extra: { requestId: unknown; signal: AbortSignal }) => {
  record(`wait started ${extra.requestId}`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms ?? 600_000);
    extra.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      record(`wait cancelled ${extra.requestId}`);
      resolve();
    }, { once: true });
  });
  return { content: [{ type: "text", text: "waited" }] };
});

server.registerTool("crash", { description: "Exits the server process." }, () => {
  console.error("fixture crashing on purpose");
  record("crash");
  Deno.exit(3);
});

server.registerTool("big", {
  description: "Returns a long text.",
  inputSchema: { chars: z.number() },
  annotations: { readOnlyHint: true },
}, ({ chars }: { chars: number }) => ({ content: [{ type: "text", text: "y".repeat(chars) }] }));

server.registerTool("env", {
  description: "Returns the server's environment as JSON.",
  annotations: { readOnlyHint: true },
}, () => ({ content: [{ type: "text", text: JSON.stringify(Deno.env.toObject()) }] }));

server.registerTool("fail", { description: "Reports an error result." }, () => ({
  content: [{ type: "text", text: "it went wrong" }],
  isError: true,
}));

if (Deno.env.get("FIXTURE_HANG") === "1") {
  record("hanging");
  setInterval(() => {}, 60_000); // stays alive, never answers initialize
} else {
  record("started");
  await server.connect(new StdioServerTransport());
}
