/**
 * The JavaScript-relay baseline: the least a Deno gateway that reads an upstream stream itself
 * (as Herald must, to run an agent on it) can do. `Deno.serve`, read the request body, one
 * `fetch` to the upstream, then every network read of the upstream's body is decoded to text
 * and written, re-encoded, to a `ReadableStream` built in JavaScript that answers the client,
 * reading with one reused buffer per stream as Herald does. No parsing, no auth, no logging.
 *
 * The bare proxy (bench/bare_proxy_server.ts) hands the upstream's body back as it is, so Deno
 * relays it natively; this one pays for what any JavaScript relay pays for in Deno: web streams
 * at both ends, and the channel Deno's HTTP server keeps for a body built in JavaScript. Measured
 * beside both, it tells what of the gateway's memory is Herald's own.
 *
 * Run: deno run -A --unstable-no-legacy-abort bench/js_relay_server.ts --upstream http://127.0.0.1:PORT/v1 [--port N]
 * — prints `listening <port>`; `/v1/...` is forwarded to the upstream base URL. As
 * `js_relay_server.ts serve` it takes the upstream and port from OPENAI_BASE_URL and
 * API_SERVER_PORT and answers `GET /health`, so `bench/stream_memory.ts --entry` can measure it
 * in the gateway's place.
 * @module
 */

import { forward } from "./bare_proxy_server.ts";

const encoder = new TextEncoder();
const READ_BUFFER_BYTES = 4 * 1024;

/** Forwards `req` to `upstreamBase` (ending in /v1), relaying the answer through JavaScript. */
export async function relay(req: Request, upstreamBase: string): Promise<Response> {
  if (new URL(req.url).pathname === "/health") return new Response("ok");
  // The same request to the upstream as the bare proxy's; only the answer goes another way.
  const upstream = await forward(req, upstreamBase);
  if (!upstream.body) return upstream;
  const reader = upstream.body.getReader({ mode: "byob" });
  const decoder = new TextDecoder();
  let scratch = new Uint8Array(READ_BUFFER_BYTES);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const read = await reader.read(scratch);
      if (read.done) {
        const rest = decoder.decode();
        if (rest) controller.enqueue(encoder.encode(rest));
        controller.close();
        return;
      }
      const text = decoder.decode(read.value, { stream: true });
      // The read transferred the buffer: take it back for the next one.
      scratch = new Uint8Array(read.value.buffer);
      if (text) controller.enqueue(encoder.encode(text));
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(body, { status: upstream.status, headers: upstream.headers });
}

if (import.meta.main) {
  const flag = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const serveMode = Deno.args[0] === "serve";
  const upstream = serveMode ? Deno.env.get("OPENAI_BASE_URL") : flag("--upstream");
  if (!upstream) {
    console.error("usage: js_relay_server.ts --upstream http://127.0.0.1:PORT/v1 [--port N]");
    Deno.exit(2);
  }
  const base = upstream.replace(/\/+$/, "");
  const port = serveMode ? Deno.env.get("API_SERVER_PORT") : flag("--port");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: Number(port ?? 0), onListen: () => {} },
    (req) => relay(req, base),
  );
  console.log(`listening ${server.addr.port}`);
  Deno.addSignalListener("SIGTERM", () => server.shutdown().then(() => Deno.exit(0)));
}
