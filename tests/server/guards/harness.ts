/**
 * A real server on 127.0.0.1 port 0 running createApp with the given guards and a few dummy
 * routes, for the guard tests.
 * @module
 */
import { z } from "zod";
import { createApp } from "../../../server/mod.ts";
import { parseBody, readJsonBody } from "../../../server/body.ts";
import { jsonResponse } from "../../../server/mod.ts";
import type { Middleware, Route } from "../../../server/mod.ts";
import { sseResponse } from "../../../server/mod.ts";

/** The key the harness accepts. */
export const KEY = "test-key-7f3a9c1e5b2d8f4a";
/** Authorization header with {@link KEY}. */
export const AUTH = { Authorization: `Bearer ${KEY}` };

const EchoSchema = z.object({
  input: z.string(),
  stream: z.boolean().optional(),
  n: z.number().int().min(0).max(100).optional(),
});

/** A manually opened gate: `wait()` resolves once `open()` was called. */
export class Gate {
  #open!: () => void;
  readonly #opened = new Promise<void>((resolve) => this.#open = resolve);
  open(): void {
    this.#open();
  }
  wait(): Promise<void> {
    return this.#opened;
  }
}

/** Counters and hooks the dummy routes share with a test. */
export interface Dummy {
  /** How many times the /v1/echo handler did its work. */
  echoCalls: number;
  /** When set, /v1/slow waits for it before answering. */
  slowGate?: Gate;
  /** Resolved each time /v1/slow starts. */
  onSlowStart?: () => void;
}

/** The dummy routes: /health (no auth), /v1/echo (JSON + zod), /v1/slow and /v1/stream (runs). */
export function dummyRoutes(dummy: Dummy): Route[] {
  return [
    {
      method: "GET",
      path: "/health",
      auth: false,
      handler: () => jsonResponse({ status: "ok" }),
    },
    {
      method: "POST",
      path: "/v1/echo",
      handler: async (req) => {
        const body = parseBody(EchoSchema, await readJsonBody(req));
        dummy.echoCalls++;
        return jsonResponse({ echo: body.input, call: dummy.echoCalls });
      },
    },
    {
      method: "GET",
      path: "/v1/items/:id",
      handler: (_req, ctx) => jsonResponse({ id: ctx.params.id }),
    },
    {
      method: "DELETE",
      path: "/v1/items/:id",
      handler: (_req, ctx) => jsonResponse({ id: ctx.params.id, deleted: true }),
    },
    {
      method: "POST",
      path: "/v1/slow",
      runsAgent: true,
      handler: async (req) => {
        const body = parseBody(EchoSchema, await readJsonBody(req));
        dummy.onSlowStart?.();
        await dummy.slowGate?.wait();
        dummy.echoCalls++;
        return jsonResponse({ echo: body.input, call: dummy.echoCalls });
      },
    },
    {
      method: "POST",
      path: "/v1/stream",
      runsAgent: true,
      handler: async (req) => {
        const body = parseBody(EchoSchema, await readJsonBody(req));
        const gate = dummy.slowGate;
        return sseResponse({
          async produce(writer) {
            for (let i = 0; i < (body.n ?? 2); i++) writer.send({ i });
            await gate?.wait();
            writer.sendRaw("[DONE]");
          },
          keepAliveMs: 60_000,
        });
      },
    },
  ];
}

/** A running test server. */
export interface TestServer {
  url: string;
  port: number;
  dummy: Dummy;
  server: Deno.HttpServer<Deno.NetAddr>;
  close(): Promise<void>;
}

/** Starts createApp with `middleware` and the dummy routes (plus `routes`). */
export function serveApp(
  middleware: Middleware[],
  options: { routes?: Route[]; auth?: boolean; dummy?: Dummy; keys?: string[] } = {},
): TestServer {
  const dummy = options.dummy ?? { echoCalls: 0 };
  const handler = createApp({
    routes: [...dummyRoutes(dummy), ...(options.routes ?? [])],
    apiKeys: () => options.keys ?? [KEY],
    auth: options.auth,
    middleware,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dummy,
    server,
    close: () => server.shutdown(),
  };
}

/** A parsed raw HTTP/1.1 response. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Sends a raw HTTP/1.1 request (fetch cannot set Host) and reads the response until the server
 * closes the connection.
 */
export async function rawRequest(port: number, head: string, body = ""): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const enc = new TextEncoder();
    await conn.write(enc.encode(head.replace(/\n/g, "\r\n") + "\r\n" + body));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(16384);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const text = new TextDecoder().decode(
      chunks.reduce((a, c) => {
        const out = new Uint8Array(a.length + c.length);
        out.set(a);
        out.set(c, a.length);
        return out;
      }, new Uint8Array()),
    );
    const [headPart, ...rest] = text.split("\r\n\r\n");
    const [statusLine, ...lines] = headPart.split("\r\n");
    const headers = new Headers();
    for (const line of lines) {
      const i = line.indexOf(":");
      if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    return { status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") };
  } finally {
    conn.close();
  }
}

/** What came back on a raw connection: a parsed response, or nothing before the close. */
export type RawOutcome = RawResponse | { status: null; bytes: number };

/**
 * Writes `first`, then (when given) waits for `between` and writes `second`, then reads until the
 * server closes the connection. Unlike {@link rawRequest} it sends bytes as given (no newline
 * rewriting) and reports a connection closed without a response instead of failing.
 */
export async function rawExchange(
  port: number,
  first: Uint8Array | string,
  options: {
    between?: () => Promise<void>;
    second?: Uint8Array | string;
    closeWrite?: boolean;
    /** Stop once a whole response (by Content-Length) is in, without waiting for the close. */
    untilResponse?: boolean;
  } = {},
): Promise<RawOutcome> {
  const enc = new TextEncoder();
  const bytes = (b: Uint8Array | string) => typeof b === "string" ? enc.encode(b) : b;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunks: Uint8Array[] = [];
  try {
    await conn.write(bytes(first));
    if (options.between) await options.between();
    if (options.second !== undefined) await conn.write(bytes(options.second)).catch(() => 0);
    if (options.closeWrite) await conn.closeWrite().catch(() => {});
    const buf = new Uint8Array(16384);
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        break; // reset by the server: whatever arrived so far is the answer
      }
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      if (options.untilResponse && complete(chunks)) break;
    }
  } finally {
    conn.close();
  }
  const total = chunks.reduce((sum, c) => sum + c.length, 0);
  const text = new TextDecoder().decode(
    chunks.reduce((a, c) => {
      const out = new Uint8Array(a.length + c.length);
      out.set(a);
      out.set(c, a.length);
      return out;
    }, new Uint8Array()),
  );
  if (!text.startsWith("HTTP/")) return { status: null, bytes: total };
  const [headPart, ...rest] = text.split("\r\n\r\n");
  const [statusLine, ...lines] = headPart.split("\r\n");
  const headers = new Headers();
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") };
}

function complete(chunks: Uint8Array[]): boolean {
  const text = new TextDecoder().decode(
    chunks.reduce((a, c) => {
      const out = new Uint8Array(a.length + c.length);
      out.set(a);
      out.set(c, a.length);
      return out;
    }, new Uint8Array()),
  );
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = text.slice(0, end);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return text.endsWith("\r\n0\r\n\r\n");
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return length !== null &&
    new TextEncoder().encode(text.slice(end + 4)).length >= Number(length[1]);
}
