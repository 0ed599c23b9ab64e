/**
 * Responses over WebSocket (`GET /v1/responses` with an upgrade), the Open Responses transport
 * OpenAI offers as "WebSocket mode": the client sends `response.create` messages and gets, for
 * each, the same events an SSE stream carries. One response runs at a time per connection; later
 * ones wait their turn in order. The connection remembers its latest response, so `store: false`
 * chains continue with `previous_response_id` for as long as the socket lives.
 *
 * The upgrade passes the same guards as every request first (Host, Origin, bearer key): browsers
 * apply no CORS to WebSockets, so a foreign Origin is refused before the handshake.
 * @module
 */
import { driveTurn } from "../../agent/mod.ts";
import { HeraldError, InvalidRequestError, RateLimitError } from "../errors.ts";
import type { ResponseItem } from "../../store/mod.ts";
import { bodyTooLargeError, parseBody } from "../body.ts";
import { errorBody, toHeraldError } from "../error_envelope.ts";
import type { Route } from "../router.ts";
import type { Run } from "../runs.ts";
import { shuttingDownError } from "../errors.ts";
import { turnError } from "../error_envelope.ts";
import { startTurn } from "../turn_driver.ts";
import type { ResponsesDeps } from "./deps.ts";
import { finalStatus, save, turnRunner } from "./outcome.ts";
import { callerScope } from "../approvals.ts";
import { type LocalResponse, prepare, type PreparedTurn } from "./prepare.ts";
import { ResponseEmitter, type ResponseStreamEvent } from "./emitter.ts";
export { ResponseSockets } from "./sockets.ts";
import { conversationName, type ResponseRequest, ResponseRequestSchema } from "./request.ts";

/** Default `api_server.websocket_max_minutes`. */
export const DEFAULT_WEBSOCKET_MAX_MINUTES = 60;

/**
 * Bytes a socket may have queued before text deltas are joined: a client reading slowly gets
 * fewer, larger deltas instead of an ever longer queue of one-token messages.
 */
const BACKLOG_BYTES = 64 * 1024;

/**
 * The WebSocket route: `GET /v1/responses` with `Upgrade: websocket`.
 *
 * @example
 * ```ts
 * const route = responsesWebSocketRoute({ ...deps, sockets: new ResponseSockets() });
 * ```
 */
export function responsesWebSocketRoute(deps: ResponsesDeps): Route {
  return {
    method: "GET",
    path: "/v1/responses",
    handler: async (req) => {
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        throw new HeraldError(
          "GET /v1/responses is the Responses WebSocket mode: open it with a WebSocket " +
            "client (Upgrade: websocket); create responses over HTTP with POST.",
          {
            status: 426,
            type: "invalid_request_error",
            code: "upgrade_required",
            headers: { Upgrade: "websocket" },
          },
        );
      }
      if (deps.runs.shuttingDown) throw shuttingDownError();
      const scope = deps.approvals ? await callerScope(req) : "";
      const { socket, response } = Deno.upgradeWebSocket(req);
      new ResponsesSocket(socket, deps, scope).listen();
      return response;
    },
  };
}

/** The WebSocket error envelope: the HTTP error body plus `type: "error"` and `status`. */
export function socketError(error: unknown): Record<string, unknown> {
  const e = toHeraldError(error);
  return { type: "error", status: e.status, error: errorBody(e) };
}

/** One connection: its queue of requests, its running turn and its latest response. */
class ResponsesSocket {
  readonly #socket: WebSocket;
  readonly #deps: ResponsesDeps;
  /** Who may answer this connection's approvals (its API key's fingerprint). */
  readonly #scope: string;
  #queue: unknown[] = [];
  #pumping = false;
  #closed = false;
  #limitReached = false;
  /** Set when shutdown asked the connection to close after its running turn. */
  #draining: { code: number; reason: string } | null = null;
  #current: Run | null = null;
  /** The latest response on this connection, the one `store: false` chains continue from. */
  #latest: LocalResponse | null = null;
  #limitTimer: ReturnType<typeof setTimeout> | undefined;
  #unregister: () => void = () => {};

  constructor(socket: WebSocket, deps: ResponsesDeps, scope = "") {
    this.#socket = socket;
    this.#deps = deps;
    this.#scope = scope;
  }

  listen(): void {
    const socket = this.#socket;
    socket.onopen = () => {
      const minutes = this.#deps.websocketMaxMinutes ?? DEFAULT_WEBSOCKET_MAX_MINUTES;
      this.#limitTimer = setTimeout(() => this.#onLimit(), minutes * 60_000);
      this.#unregister = this.#deps.sockets?.add((code, reason) => this.#drain(code, reason)) ??
        (() => {});
    };
    socket.onmessage = (event) => this.#onMessage(event.data);
    socket.onclose = () => this.#onClosed();
    socket.onerror = () => this.#onClosed();
  }

  #onMessage(data: unknown): void {
    if (this.#closed) return;
    if (typeof data !== "string") {
      this.#send(socketError(
        new InvalidRequestError("Send response.create messages as JSON text frames.", {
          code: "invalid_value",
        }),
      ));
      return;
    }
    // The same cap as an HTTP body: a base64 image is no bigger over a socket.
    const maxBytes = this.#deps.maxBodyBytes;
    if (data.length * 3 > maxBytes && new TextEncoder().encode(data).byteLength > maxBytes) {
      this.#send(socketError(bodyTooLargeError(maxBytes)));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      this.#send(socketError(
        new InvalidRequestError("The message is not valid JSON.", { code: "invalid_json" }),
      ));
      return;
    }
    this.#queue.push(message);
    void this.#pump();
  }

  /** Runs queued requests one after another. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (
        this.#queue.length > 0 && !this.#closed && !this.#limitReached && !this.#draining
      ) {
        await this.#handle(this.#queue.shift());
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#draining) this.#close(this.#draining.code, this.#draining.reason);
    else if (this.#limitReached) this.#endAtLimit();
  }

  async #handle(message: unknown): Promise<void> {
    let request: ResponseRequest | undefined;
    try {
      request = this.#parse(message);
      const name = conversationName(request);
      if (name === null) await this.#run(request, null);
      else {
        const parsed = request;
        await this.#deps.store.withConversation(name, () => this.#run(parsed, name));
      }
    } catch (error) {
      this.#evict(request);
      if (!(error instanceof HeraldError)) {
        console.error("Responses WebSocket turn failed:", error);
      }
      this.#send(socketError(error));
    }
  }

  #parse(message: unknown): ResponseRequest {
    const type = (message as { type?: unknown } | null)?.type;
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      throw new InvalidRequestError("Each message must be a JSON object.", {
        code: "invalid_value",
      });
    }
    if (type !== "response.create") {
      throw new InvalidRequestError(
        `Unsupported message type '${String(type)}'; send {"type": "response.create", …}.`,
        { code: "invalid_value", param: "type" },
      );
    }
    // The transport streams by nature: the HTTP-only fields are dropped.
    const { type: _type, stream: _stream, stream_options: _options, ...body } = message as Record<
      string,
      unknown
    >;
    if (body.background === true) {
      throw new InvalidRequestError(
        "background is not available in WebSocket mode; use POST /v1/responses for it.",
        { code: "invalid_value", param: "background" },
      );
    }
    const request = parseBody(ResponseRequestSchema, body);
    if (conversationName(request) !== null && request.previous_response_id) {
      throw new InvalidRequestError(
        "Send either 'previous_response_id' or 'conversation', not both.",
        { code: "invalid_value", param: "conversation" },
      );
    }
    return request;
  }

  async #run(request: ResponseRequest, name: string | null): Promise<void> {
    const deps = this.#deps;
    if (deps.runs.shuttingDown) throw shuttingDownError();
    if (deps.maxConcurrentRuns !== undefined && deps.runs.size >= deps.maxConcurrentRuns) {
      throw new RateLimitError(
        `Too many agent runs at once (the limit is ${deps.maxConcurrentRuns}, ` +
          "api_server.max_concurrent_runs); send the response.create again shortly.",
        1,
      );
    }
    const prepared = await prepare(
      request,
      deps,
      name,
      (id) => this.#latest?.id === id ? this.#latest : null,
      this.#scope,
    );
    const run = deps.runs.begin();
    this.#current = run;
    try {
      if (this.#closed) return;
      const started = await startTurn(turnRunner(prepared, deps), prepared.turn, {
        signal: run.signal,
        streamText: deps.streamTokens,
      });
      if ("failed" in started) throw turnError(started.failed);
      const emitter = new ResponseEmitter(prepared.base, (e) => this.#send(e), {
        coalesceMs: deps.coalesceMs,
        backlogged: () => this.#socket.bufferedAmount > BACKLOG_BYTES,
        approvalItems: prepared.approvalItems,
      });
      try {
        emitter.start(false);
        const result = await driveTurn(started.events, (event) => {
          if (event.type !== "final") emitter.handle(event);
        });
        const final = emitter.finish(result, finalStatus(result, false, run.signal.aborted));
        await save(prepared, deps, final).catch((e) => {
          if (!this.#closed) throw e;
        });
        this.#remember(prepared, String(final.status), final.output as ResponseItem[]);
        emitter.emitTerminal(final);
      } finally {
        emitter.dispose();
      }
    } finally {
      this.#current = null;
      run.finish();
    }
  }

  /** Keeps a finished response as the connection's latest; a failed one continues nothing. */
  #remember(prepared: PreparedTurn, status: string, output: ResponseItem[]): void {
    if (status === "failed") {
      this.#evict(prepared.request);
      return;
    }
    this.#latest = {
      id: prepared.id,
      items: [...prepared.history, ...prepared.input, ...output],
      instructions: (prepared.base.instructions as string | null) ?? null,
    };
  }

  /** A turn that failed takes the response it continued out of the connection's memory. */
  #evict(request: ResponseRequest | undefined): void {
    if (request?.previous_response_id && this.#latest?.id === request.previous_response_id) {
      this.#latest = null;
    }
  }

  #send(event: ResponseStreamEvent | Record<string, unknown>): void {
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) return;
    try {
      this.#socket.send(JSON.stringify(event));
    } catch {
      this.#onClosed();
    }
  }

  #onLimit(): void {
    this.#limitTimer = undefined;
    this.#limitReached = true;
    if (!this.#pumping) this.#endAtLimit();
  }

  /** At the connection's age limit: says so, then closes (a running turn finished first). */
  #endAtLimit(): void {
    const minutes = this.#deps.websocketMaxMinutes ?? DEFAULT_WEBSOCKET_MAX_MINUTES;
    this.#send(socketError(
      new HeraldError(
        `This WebSocket reached its ${minutes}-minute limit (api_server.websocket_max_minutes); ` +
          "open a new connection to continue.",
        { status: 400, type: "invalid_request_error", code: "websocket_connection_limit_reached" },
      ),
    ));
    this.#close(1000, "connection limit reached");
  }

  #drain(code: number, reason: string): void {
    this.#draining = { code, reason };
    if (!this.#pumping) this.#close(code, reason);
  }

  #close(code: number, reason: string): void {
    try {
      this.#socket.close(code, reason);
    } catch { /* already closing */ }
    this.#onClosed();
  }

  /** The client left (or the socket broke): abort the running turn, drop the queue. */
  #onClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#latest = null;
    if (this.#limitTimer !== undefined) clearTimeout(this.#limitTimer);
    this.#limitTimer = undefined;
    this.#unregister();
    this.#current?.abort("client disconnected");
  }
}
