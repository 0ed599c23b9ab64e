/**
 * A fast fake OpenAI-compatible upstream for the benchmarks, run as its own process so its CPU
 * is not shared with the gateway's event loop. The last user message steers each reply:
 * `BENCH tokens=200 first=5 interval=20 batch=4` streams 200 tokens, the first after 5 ms, then
 * 4 tokens every 20 ms (interval 0: as fast as the socket takes them, `batch` chunks per write).
 * Chunks are encoded once up front so the fake can emit well over 50,000 tokens per second.
 * Run: deno run -A bench/fake_upstream_server.ts [--port N] — prints `listening <port>`.
 * @module
 */

/** How one reply is shaped. */
export interface ReplyShape {
  /** Content tokens in the reply. */
  tokens: number;
  /** Milliseconds before the first content token. */
  first: number;
  /** Milliseconds between batches of tokens; 0 writes as fast as possible. */
  interval: number;
  /** Tokens per write. */
  batch: number;
  /**
   * 1: each token carries the wall-clock time it was written, `@<epoch ms> ` (see
   * {@link tokenStamps}), so a client can time every token from upstream to its own hands.
   */
  stamp: number;
}

/** The clock stamps use: epoch milliseconds with sub-millisecond precision, shared by processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The write times stamped into a piece of streamed text, in order. */
export function tokenStamps(text: string): number[] {
  return [...text.matchAll(/@(\d+\.\d+) /g)].map((m) => Number(m[1]));
}

/** The steering line a client puts in its user message. */
export function benchPrompt(shape: Partial<ReplyShape>): string {
  const s = { ...DEFAULT_SHAPE, ...shape };
  return `BENCH tokens=${s.tokens} first=${s.first} interval=${s.interval} batch=${s.batch}` +
    (s.stamp ? ` stamp=${s.stamp}` : "");
}

/** The text every token carries. */
export const TOKEN_TEXT = "tok ";

const DEFAULT_SHAPE: ReplyShape = { tokens: 20, first: 0, interval: 0, batch: 64, stamp: 0 };
const encoder = new TextEncoder();
const BASE =
  '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench",' +
  '"choices":[{"index":0,"delta":';
const ROLE = encoder.encode(
  `data: ${BASE}{"role":"assistant","content":""},"finish_reason":null}]}\n\n`,
);
const TOKEN = encoder.encode(
  `data: ${BASE}{"content":${JSON.stringify(TOKEN_TEXT)}},"finish_reason":null}]}\n\n`,
);
const TAIL = encoder.encode(
  `data: ${BASE}{},"finish_reason":"stop"}]}\n\n` +
    'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench",' +
    '"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}\n\n' +
    "data: [DONE]\n\n",
);
const COMPLETION = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1,
  model: "bench",
  choices: [{
    index: 0,
    message: { role: "assistant", content: "hello from the bench upstream" },
    finish_reason: "stop",
  }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
});
// Batches of pre-encoded token chunks, built once per batch size.
const batches = new Map<number, Uint8Array>();

function tokenBatch(n: number): Uint8Array {
  let bytes = batches.get(n);
  if (!bytes) {
    bytes = new Uint8Array(TOKEN.length * n);
    for (let i = 0; i < n; i++) bytes.set(TOKEN, i * TOKEN.length);
    batches.set(n, bytes);
  }
  return bytes;
}

/** `n` token chunks, each stamped with the time now. */
function stampedBatch(n: number): Uint8Array {
  const content = JSON.stringify(`@${wallClockMs().toFixed(3)} `);
  const chunk = `data: ${BASE}{"content":${content}},"finish_reason":null}]}\n\n`;
  return encoder.encode(chunk.repeat(n));
}

/** Reads the steering line out of a raw request body without a full JSON parse. */
export function parseShape(body: string): ReplyShape {
  const shape = { ...DEFAULT_SHAPE };
  const match = /BENCH ((?:\w+=\d+ ?)+)/.exec(body);
  if (!match) return shape;
  for (const pair of match[1].trim().split(" ")) {
    const [key, value] = pair.split("=");
    if (key in shape) shape[key as keyof ReplyShape] = Number(value);
  }
  shape.batch = Math.max(1, shape.batch);
  return shape;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function streamReply(shape: ReplyShape): Response {
  let left = shape.tokens;
  let started = false;
  // Pull-based: a batch is written whenever the socket has taken the last ones, so the fake
  // never buffers the whole reply and never waits on a (clamped) zero-delay timer.
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(ROLE);
    },
    async pull(controller) {
      if (!started) {
        started = true;
        if (shape.first > 0) await sleep(shape.first);
      } else if (shape.interval > 0) await sleep(shape.interval);
      if (left <= 0) {
        controller.enqueue(TAIL);
        controller.close();
        return;
      }
      const n = Math.min(left, shape.batch);
      controller.enqueue(shape.stamp ? stampedBatch(n) : tokenBatch(n));
      left -= n;
    },
  }, { highWaterMark: 4 });
  return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
}

async function handle(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method === "GET" && path === "/v1/models") {
    return Response.json({ object: "list", data: [{ id: "bench", object: "model" }] });
  }
  if (req.method !== "POST" || path !== "/v1/chat/completions") {
    return new Response("not found", { status: 404 });
  }
  const text = await req.text();
  const shape = parseShape(text);
  if (!/"stream":\s*true/.test(text)) {
    if (shape.first > 0) await sleep(shape.first);
    return new Response(COMPLETION, { headers: { "Content-Type": "application/json" } });
  }
  return streamReply(shape);
}

if (import.meta.main) {
  const portFlag = Deno.args.indexOf("--port");
  const port = portFlag >= 0 ? Number(Deno.args[portFlag + 1]) : 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handle);
  console.log(`listening ${server.addr.port}`);
  Deno.addSignalListener("SIGTERM", () => server.shutdown().then(() => Deno.exit(0)));
}
