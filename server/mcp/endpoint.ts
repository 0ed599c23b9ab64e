/**
 * Herald as an MCP server: a streamable-HTTP endpoint at `/mcp` behind the same bearer key and
 * Origin/Host guards as the API. Each MCP session (one `initialize`) gets its own SDK server and
 * transport, bound to the key that opened it; the table is bounded (least recently used closed
 * first) and idle sessions expire. A client that leaves mid-call aborts what it asked for.
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
import type { ToolRegistry } from "../../agent/mod.ts";
import { bearerToken } from "../auth.ts";
import type { Route } from "../router.ts";
import { ASK_TOOL, type AskDeps, runAsk } from "./ask_tool.ts";

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

/** The `/mcp` routes and a way to close every session (on shutdown). */
export interface McpEndpoint {
  routes: Route[];
  /** Open sessions (for tests and status). */
  readonly sessions: number;
  close(): Promise<void>;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
  keyTag: string;
  lastUsed: number;
  /** Signals of the HTTP requests that carried each JSON-RPC request, by request id. */
  carriers: Map<string | number, AbortSignal>;
}

/**
 * Builds the endpoint.
 *
 * @example
 * ```ts
 * const mcp = mcpEndpoint({ agent, runs, sessions, queue, maxRuns: 16, serverInfo });
 * routes.push(...mcp.routes);
 * ```
 */
export function mcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const sessions = new Map<string, Session>();
  const maxSessions = options.maxSessions ?? 64;
  const idleMs = options.idleMs ?? 30 * 60_000;

  async function closeSession(id: string): Promise<void> {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    await session.transport.close().catch(() => {});
    await session.server.close().catch(() => {});
  }

  async function makeRoom(): Promise<void> {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (now - session.lastUsed > idleMs) await closeSession(id);
    }
    while (sessions.size >= maxSessions) {
      const oldest = [...sessions.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      await closeSession(oldest[0]);
    }
  }

  function newSession(keyTag: string): Session {
    const server = new Server(options.serverInfo, {
      capabilities: { tools: {} },
      instructions: "Herald is an agent gateway. Use `ask` to hand it a task; " +
        "it answers when the task is done and reports progress while it works.",
    });
    const session: Session = {
      server,
      keyTag,
      lastUsed: Date.now(),
      carriers: new Map(),
      transport: new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id: string) => void sessions.set(id, session),
        onsessionclosed: (id: string) => void sessions.delete(id),
      }),
    };
    registerHandlers(server, session, options);
    return session;
  }

  async function handle(req: Request): Promise<Response> {
    const keyTag = await tagOf(bearerToken(req));
    const sessionId = req.headers.get("mcp-session-id");
    let parsedBody: unknown;
    if (req.method === "POST") {
      try {
        parsedBody = await req.json();
      } catch {
        return rpcError(400, -32700, "Parse error: the body is not JSON.");
      }
    }
    let session: Session | undefined;
    if (sessionId) {
      session = sessions.get(sessionId);
      // Another key's session is as unknown as a closed one.
      if (!session || session.keyTag !== keyTag) {
        return rpcError(404, -32001, "Session not found: initialize a new one.");
      }
    } else if (req.method === "POST" && containsInitialize(parsedBody)) {
      await makeRoom();
      session = newSession(keyTag);
      await session.server.connect(session.transport);
    } else {
      return rpcError(400, -32000, "Bad request: no mcp-session-id; send initialize first.");
    }
    session.lastUsed = Date.now();
    for (const id of requestIds(parsedBody)) session.carriers.set(id, req.signal);
    return await session.transport.handleRequest(req, { parsedBody });
  }

  const route = (method: Route["method"]): Route => ({ method, path: "/mcp", handler: handle });
  return {
    routes: [route("POST"), route("GET"), route("DELETE")],
    get sessions() {
      return sessions.size;
    },
    close: async () => {
      await Promise.all([...sessions.keys()].map(closeSession));
    },
  };
}

type CallExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function registerHandlers(server: Server, session: Session, options: McpEndpointOptions): void {
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
        });
        return { content: [{ type: "text", text: outcome.output }], isError: outcome.isError };
      }
      return { content: [{ type: "text", text: `Unknown tool "${name}".` }], isError: true };
    },
  );
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

function containsInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => isInitializeRequest(m));
}

/** The ids of the `tools/call` requests in a POST body (only calls can run long). */
function requestIds(body: unknown): (string | number)[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) =>
    m && typeof m === "object" && m.method === "tools/call" &&
      (typeof m.id === "string" || typeof m.id === "number")
      ? [m.id]
      : []
  );
}

// Sessions belong to the key that opened them; a hash keeps the key itself out of memory dumps.
async function tagOf(key: string | null): Promise<string> {
  if (!key) return "anonymous";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest).slice(0, 12), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function rpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}
