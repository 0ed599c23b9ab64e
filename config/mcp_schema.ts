/**
 * The MCP part of the configuration: `mcp_servers` (external MCP servers whose tools the agent
 * may call) and `mcp` (Herald's own MCP endpoint and limits shared by every server).
 * @module
 */
import { z } from "zod";

/** What a server name may look like: it is the `server_label` and the prefix of its tools. */
export const MCP_SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** Server names that cannot be configured: `herald` is the label of Herald's own tools. */
export const RESERVED_MCP_SERVER_NAMES = ["herald"] as const;

/** The approval policies a server may impose on its tools. */
export const MCP_APPROVAL_POLICIES = ["never", "dangerous", "always"] as const;

const seconds = z.number().positive();

/**
 * One MCP server: either a local program spoken to over stdio (`command`), or a remote one over
 * streamable HTTP with the older SSE transport as fallback (`url`).
 */
export const McpServerSchema = z.object({
  command: z.string().min(1).optional()
    .describe("Program to start (stdio server). Exactly one of command and url."),
  args: z.array(z.string()).default([]).describe("Arguments for the program."),
  env: z.record(z.string(), z.string()).default({}).describe(
    "Environment for the program, besides PATH, HOME, USER, LANG and TERM. `${NAME}` takes a value from Herald's environment.",
  ),
  cwd: z.string().optional().describe("Working directory of the program; default the workspace."),
  url: z.url().optional().describe("Endpoint of a remote server (streamable HTTP or SSE)."),
  headers: z.record(z.string(), z.string()).default({}).describe(
    "HTTP headers sent to a remote server, e.g. Authorization. `${NAME}` is expanded.",
  ),
  transport: z.enum(["auto", "streamable_http", "sse"]).default("auto").describe(
    "Remote transport: auto tries streamable HTTP, then SSE.",
  ),
  enabled: z.boolean().default(true).describe("Set false to keep the entry but not start it."),
  include_tools: z.array(z.string()).optional().describe(
    "Offer only these tools of the server (their MCP names).",
  ),
  exclude_tools: z.array(z.string()).default([]).describe("Never offer these tools."),
  timeout: seconds.default(120).describe("Seconds one tool call may take."),
  connect_timeout: seconds.default(30).describe(
    "Seconds to start the server and list its tools before the attempt counts as failed.",
  ),
  approval: z.enum(MCP_APPROVAL_POLICIES).optional().describe(
    "Approval policy for this server's tools; overrides the front door's policy.",
  ),
  sandbox: z.boolean().default(true).describe(
    "Run a stdio server inside the tool sandbox when one is available.",
  ),
}).strict().superRefine((server, ctx) => {
  if (!server.command === !server.url) {
    ctx.addIssue({
      code: "custom",
      message: "either `command` (a stdio server) or `url` (a remote server), not both",
    });
  }
});

/** One configured MCP server. */
export type McpServerConfig = z.infer<typeof McpServerSchema>;

/** `mcp_servers`: a map from server name to its settings. */
export const McpServersSchema = z.record(
  z.string().regex(MCP_SERVER_NAME, {
    message: "a server name of 1-32 letters, digits, `_` or `-`, starting with a letter or digit",
  }).refine((name) => !(RESERVED_MCP_SERVER_NAMES as readonly string[]).includes(name), {
    message: 'a name other than "herald" (the label of Herald\'s own tools)',
  }).refine((name) => !name.includes("__"), {
    message: "a server name without `__` (it separates server and tool names)",
  }),
  McpServerSchema,
);

/** `mcp`: Herald's MCP endpoint and limits shared by every MCP server. */
export const McpSettingsSchema = z.object({
  endpoint: z.boolean().default(true).meta({
    description:
      "Serve Herald itself as an MCP server at /mcp (bearer key, same guards as the API).",
  }),
  expose_tools: z.boolean().default(false).meta({
    description:
      "Also offer the API toolset's tools (terminal, files…) directly to MCP clients at /mcp.",
  }),
  max_result_chars: z.number().int().min(1000).default(50_000).meta({
    description: "Longest MCP tool result the model sees; longer ones are cut with a note.",
  }),
  startup_wait: z.number().min(0).default(3).meta({
    description:
      "Seconds start-up waits for MCP servers before printing the banner (they keep connecting after).",
  }),
  max_sessions: z.number().int().min(1).default(64).meta({
    description: "MCP client sessions /mcp keeps at once; the least recently used is closed.",
  }),
});
