/**
 * Herald as an MCP server: a streamable-HTTP endpoint at `/mcp` behind the same bearer key and
 * Origin/Host guards as the API. Each MCP session (one `initialize`) gets its own SDK server and
 * transport, bound to the key that opened it; the table is bounded (least recently used closed
 * first) and idle sessions expire. A client that leaves mid-call aborts what it asked for.
 * @module
 */
import { bearerToken } from "../auth.ts";
import { requestBody } from "../body.ts";
import type { Route } from "../router.ts";
import type { McpEndpointOptions } from "./options.ts";
import type { McpSession } from "./session.ts";
import { sha256Hex } from "../../lib/mod.ts";

export type { McpEndpointOptions } from "./options.ts";

const decoder = new TextDecoder();

/** The `/mcp` routes and a way to close every session (on shutdown). */
export interface McpEndpoint {
  routes: Route[];
  /** Open sessions (for tests and status). */
  readonly sessions: number;
  close(): Promise<void>;
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
  const sessions = new Map<string, McpSession>();
  const maxSessions = options.maxSessions ?? 64;
  const idleMs = options.idleMs ?? 30 * 60_000;

  async function closeSession(id: string): Promise<void> {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    await session.transport.close().catch(() => {});
    await session.server.close().catch(() => {});
    const { releaseMcpSession } = await import("./session.ts");
    await releaseMcpSession(session);
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

  async function handle(req: Request): Promise<Response> {
    const keyTag = await tagOf(bearerToken(req));
    const sessionId = req.headers.get("mcp-session-id");
    let parsedBody: unknown;
    if (req.method === "POST") {
      // Read under the body deadline (a stalled body is a 408, broken framing a 400); the
      // transport is handed the parsed body and never reads the request itself.
      const text = decoder.decode(await requestBody(req).bytes(Number.POSITIVE_INFINITY));
      try {
        parsedBody = JSON.parse(text);
      } catch {
        return rpcError(400, -32700, "Parse error: the body is not JSON.");
      }
    }
    let session: McpSession | undefined;
    if (sessionId) {
      session = sessions.get(sessionId);
      // Another key's session is as unknown as a closed one.
      if (!session || session.keyTag !== keyTag) {
        return rpcError(404, -32001, "Session not found: initialize a new one.");
      }
    } else if (req.method === "POST") {
      const { containsInitialize, createMcpSession } = await import("./session.ts");
      if (!containsInitialize(parsedBody)) {
        return rpcError(400, -32000, "Bad request: no mcp-session-id; send initialize first.");
      }
      await makeRoom();
      session = await createMcpSession(keyTag, options, {
        opened: (id, opened) => void sessions.set(id, opened),
        closed: (id) => void sessions.delete(id),
      });
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
  return (await sha256Hex(key)).slice(0, 24);
}

function rpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}
