/**
 * One MCP session of the `/mcp` endpoint: an SDK server and its streamable-HTTP transport, with
 * the `ask` tool (and, when exposed, Herald's own tools). Loaded on the first `/mcp` request, so
 * a gateway nobody asks over MCP never loads the SDK's server side.
 * @module
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  isInitializeRequest,
  ListToolsRequestSchema,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import {
  type ApprovalRequest,
  type ToolRegistry,
  type TurnApprovals,
  TurnResources,
} from "../../agent/mod.ts";
import { ASK_TOOL, runAsk } from "./ask_tool.ts";
import type { McpEndpointOptions } from "./options.ts";

/** One client's session. */
export interface McpSession {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
  keyTag: string;
  lastUsed: number;
  /** Signals of the HTTP requests that carried each `tools/call`, by JSON-RPC id. */
  carriers: Map<string | number, AbortSignal>;
  /**
   * What the session's direct tool calls keep between calls (the sandboxed file helper), as an
   * agent turn does: released by {@link releaseMcpSession}.
   */
  resources: TurnResources;
  /** Aborted when the session ends: what `resources` holds dies with it. */
  lifetime: AbortController;
}

/** Releases what the session's tool calls kept (its file helper); safe to call twice. */
export async function releaseMcpSession(session: McpSession): Promise<void> {
  session.lifetime.abort(new Error("the MCP session ended"));
  await session.resources.close();
}

/** Creates a session and connects its server to its transport. */
export async function createMcpSession(
  keyTag: string,
  options: McpEndpointOptions,
  hooks: { opened(id: string, session: McpSession): void; closed(id: string): void },
): Promise<McpSession> {
  const server = new Server(options.serverInfo, {
    capabilities: { tools: {} },
    instructions: "Herald is an agent gateway. Use `ask` to hand it a task; " +
      "it answers when the task is done and reports progress while it works.",
  });
  const session: McpSession = {
    server,
    keyTag,
    lastUsed: Date.now(),
    carriers: new Map(),
    resources: new TurnResources(),
    lifetime: new AbortController(),
    transport: new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id: string) => hooks.opened(id, session),
      onsessionclosed: (id: string) => {
        hooks.closed(id);
        releaseMcpSession(session).catch(() => {});
      },
    }),
  };
  registerHandlers(server, session, options);
  await server.connect(session.transport);
  return session;
}

/** Whether a POST body holds an `initialize` request. */
export function containsInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => isInitializeRequest(m));
}

type CallExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function registerHandlers(server: Server, session: McpSession, options: McpEndpointOptions): void {
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      ASK_TOOL,
      ...(options.registry
        ? exposed(options).map((name) => declaration(options.registry!, name))
        : []),
    ],
  }));
  server.setRequestHandler(
    CallToolRequestSchema,
    async (request: CallToolRequest, extra: CallExtra): Promise<CallToolResult> => {
      const carrier = session.carriers.get(extra.requestId);
      session.carriers.delete(extra.requestId);
      const signal = carrier ? AbortSignal.any([extra.signal, carrier]) : extra.signal;
      const args = (request.params.arguments ?? {}) as Record<string, unknown>;
      const name = request.params.name;
      if (name === ASK_TOOL.name) {
        const token = request.params._meta?.progressToken;
        let progress = 0;
        const result = await runAsk(options, args, {
          keyTag: session.keyTag,
          signal,
          approvals: askApprovals(server, options, extra),
          onProgress: token === undefined ? undefined : ({ message }) => {
            extra.sendNotification({
              method: "notifications/progress",
              params: { progressToken: token, progress: ++progress, message },
            }).catch(() => {});
          },
        });
        return result;
      }
      if (options.registry && exposed(options).includes(name)) {
        const outcome = await options.registry.call(name, JSON.stringify(args), {
          signal,
          workspace: options.workspace ?? Deno.cwd(),
          platform: "api_server",
          // Like a turn's calls, the session's share one file helper instead of one per call.
          turn: session.resources,
          turnSignal: session.lifetime.signal,
        });
        return { content: [{ type: "text", text: outcome.output }], isError: outcome.isError };
      }
      return { content: [{ type: "text", text: `Unknown tool "${name}".` }], isError: true };
    },
  );
}

/**
 * Approvals for an `ask` turn: asked through MCP elicitation when the client supports it; a
 * client that cannot answer gets the call denied with a reason, never run unasked.
 */
function askApprovals(
  server: Server,
  options: McpEndpointOptions,
  extra: CallExtra,
): TurnApprovals {
  return {
    mode: options.approvalMode ?? "never",
    ask: async (request: ApprovalRequest, signal: AbortSignal) => {
      if (!server.getClientCapabilities()?.elicitation) {
        return {
          approved: false,
          reason: "the MCP client that asked cannot answer approval requests (no elicitation)",
        };
      }
      try {
        const answer = await server.elicitInput({
          mode: "form",
          message: `Herald wants to run ${request.call.function.name} (${request.origin}) with ` +
            `${request.call.function.arguments.slice(0, 2000)}: ${request.reason}. Allow it?`,
          requestedSchema: {
            type: "object",
            properties: { approve: { type: "boolean", title: "Allow this call" } },
            required: ["approve"],
          },
        }, { signal, relatedRequestId: extra.requestId });
        if (answer.action === "accept" && answer.content?.approve === true) {
          return { approved: true };
        }
        return {
          approved: false,
          reason: answer.action === "accept" ? "not allowed" : `the user chose ${answer.action}`,
        };
      } catch (error) {
        return { approved: false, reason: `no answer (${(error as Error).message})` };
      }
    },
  };
}

function exposed(options: McpEndpointOptions): string[] {
  return options.exposedTools?.() ?? [];
}

function declaration(registry: ToolRegistry, name: string) {
  const spec = registry.specs([name])[0];
  const tool = registry.get(name);
  return {
    name,
    description: spec?.function.description ?? "",
    inputSchema: (spec?.function.parameters ?? { type: "object" }) as {
      type: "object";
      [key: string]: unknown;
    },
    annotations: { readOnlyHint: tool?.readOnly === true },
  };
}
