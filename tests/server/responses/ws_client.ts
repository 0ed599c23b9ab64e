/**
 * A real WebSocket client for the Responses WebSocket mode in tests: sends `response.create`
 * messages and collects each turn's events up to its terminal event (or error envelope).
 * @module
 */
import { TEST_KEY } from "../../fakes/test_server.ts";

/** One event or error envelope the server sent. */
// deno-lint-ignore no-explicit-any
export type SocketMessage = Record<string, any> & { type: string };

/** An open test connection. */
export interface ResponsesSocketClient {
  socket: WebSocket;
  /** Sends one message (the `type: "response.create"` is added when missing). */
  send(body: Record<string, unknown>): void;
  /** Resolves with the messages of the next turn: up to `response.completed/failed/incomplete` or an error. */
  nextTurn(): Promise<SocketMessage[]>;
  /** Resolves with the next message. */
  next(): Promise<SocketMessage>;
  /** Resolves once the server closed the connection, with its close code. */
  closed: Promise<number>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);

/** Opens a connection to `${baseUrl}/v1/responses` (rejects if the upgrade is refused). */
export function connectResponses(
  baseUrl: string,
  options: { key?: string; headers?: Record<string, string> } = {},
): Promise<ResponsesSocketClient> {
  const url = `${baseUrl.replace(/^http/, "ws")}/v1/responses`;
  const socket = new WebSocket(url, {
    headers: { Authorization: `Bearer ${options.key ?? TEST_KEY}`, ...options.headers },
  } as unknown as string[]);
  const inbox: SocketMessage[] = [];
  const waiters: ((m: SocketMessage) => void)[] = [];
  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((r) => resolveClosed = r);
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data as string) as SocketMessage;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  };
  socket.onclose = (event) => resolveClosed(event.code);
  const next = () =>
    new Promise<SocketMessage>((resolve) => {
      const message = inbox.shift();
      if (message) resolve(message);
      else waiters.push(resolve);
    });
  const close = async () => {
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
      socket.close();
    }
    await closed;
  };
  const client: ResponsesSocketClient = {
    socket,
    send: (body) => socket.send(JSON.stringify({ type: "response.create", ...body })),
    next,
    async nextTurn() {
      const messages: SocketMessage[] = [];
      while (true) {
        const message = await next();
        messages.push(message);
        if (TERMINAL.has(message.type) || (message.type === "error" && "status" in message)) {
          return messages;
        }
      }
    },
    closed,
    close,
    [Symbol.asyncDispose]: close,
  };
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve(client);
    socket.onerror = () => {
      if (socket.readyState !== WebSocket.OPEN) reject(new Error("WebSocket upgrade refused"));
    };
  });
}
