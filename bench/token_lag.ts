/**
 * Token lag: the time from the upstream writing a token to the client reading it, for every
 * token of a paced stream. The fake upstream stamps each token with its wall-clock write time
 * (both processes share the clock), so each token is timed on its own — no first-token
 * shortcut. Measured directly from the upstream (the floor), through Chat Completions SSE,
 * Responses SSE and Responses over WebSocket, with the transports interleaved per round so they
 * see the same machine noise.
 * @module
 */
import type { Target } from "./client.ts";
import { benchPrompt, tokenStamps, wallClockMs } from "./fake_upstream_server.ts";
import { quantile, round } from "./stats.ts";

/** Lag percentiles of one transport, in milliseconds. */
export interface LagStats {
  tokens: number;
  p50_ms: number;
  p99_ms: number;
}

/** Per-transport token lag. */
export interface TokenLagResult {
  requests_each: number;
  tokens_per_request: number;
  interval_ms: number;
  direct: LagStats;
  chat_sse: LagStats;
  responses_sse: LagStats;
  responses_ws: LagStats;
}

const decoder = new TextDecoder();

/** Records the lag of every stamped token in `text`, read at `now`. */
function record(text: string, now: number, into: number[]): number {
  const stamps = tokenStamps(text);
  for (const stamp of stamps) into.push(now - stamp);
  return stamps.length;
}

/** Reads an SSE body, handing each `data:` payload to `onData` with the time its read arrived. */
async function readSse(res: Response, onData: (data: string, now: number) => void) {
  let buffer = "";
  for await (const bytes of res.body!) {
    const now = wallClockMs();
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const line = frame.split("\n").find((l) => l.startsWith("data: "));
      if (line && line !== "data: [DONE]") onData(line.slice(6), now);
    }
  }
}

function headers(target: Target): HeadersInit {
  return {
    "Content-Type": "application/json",
    ...(target.key ? { Authorization: `Bearer ${target.key}` } : {}),
  };
}

async function chatLag(target: Target, prompt: string, into: number[]): Promise<number> {
  const res = await fetch(`${target.baseUrl}/chat/completions`, {
    method: "POST",
    headers: headers(target),
    body: JSON.stringify({
      model: target.model,
      stream: true,
      messages: [{ role: "user", content: prompt }],
    }),
  });
  if (!res.ok) throw new Error(`chat stream failed: ${res.status} ${await res.text()}`);
  let tokens = 0;
  await readSse(res, (data, now) => {
    const content = JSON.parse(data).choices?.[0]?.delta?.content;
    if (content) tokens += record(content, now, into);
  });
  return tokens;
}

async function responsesSseLag(target: Target, prompt: string, into: number[]): Promise<number> {
  const res = await fetch(`${target.baseUrl}/responses`, {
    method: "POST",
    headers: headers(target),
    body: JSON.stringify({ model: target.model, stream: true, store: false, input: prompt }),
  });
  if (!res.ok) throw new Error(`responses stream failed: ${res.status} ${await res.text()}`);
  let tokens = 0;
  await readSse(res, (data, now) => {
    const event = JSON.parse(data);
    if (event.type === "response.output_text.delta") tokens += record(event.delta, now, into);
  });
  return tokens;
}

/** Opens one WebSocket to `/v1/responses`. */
function openSocket(target: Target): Promise<WebSocket> {
  const socket = new WebSocket(`${target.baseUrl.replace(/^http/, "ws")}/responses`, {
    headers: { Authorization: `Bearer ${target.key}` },
  } as unknown as string[]);
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error("WebSocket upgrade failed"));
  });
}

function responsesWsLag(socket: WebSocket, target: Target, prompt: string, into: number[]) {
  let tokens = 0;
  return new Promise<number>((resolve, reject) => {
    socket.onmessage = (message) => {
      const now = wallClockMs();
      const event = JSON.parse(message.data as string);
      if (event.type === "response.output_text.delta") tokens += record(event.delta, now, into);
      else if (event.type === "response.completed") resolve(tokens);
      else if (event.type === "error" || event.type === "response.failed") {
        reject(new Error(`WebSocket turn failed: ${message.data}`));
      }
    };
    socket.send(JSON.stringify({
      type: "response.create",
      model: target.model,
      store: false,
      input: prompt,
    }));
  });
}

function stats(lags: number[]): LagStats {
  return {
    tokens: lags.length,
    p50_ms: round(quantile(lags, 0.5), 3),
    p99_ms: round(quantile(lags, 0.99), 3),
  };
}

/**
 * Streams `requests` paced replies per transport (one at a time) and returns each transport's
 * token lag percentiles.
 */
export async function benchTokenLag(
  direct: Target,
  gateway: Target,
  options: { requests: number; tokens: number; intervalMs: number; warmup: number },
): Promise<TokenLagResult> {
  const prompt = benchPrompt({
    tokens: options.tokens,
    first: 0,
    interval: options.intervalMs,
    batch: 1,
    stamp: 1,
  });
  const lags = { direct: [], chat_sse: [], responses_sse: [], responses_ws: [] } as Record<
    "direct" | "chat_sse" | "responses_sse" | "responses_ws",
    number[]
  >;
  const socket = await openSocket(gateway);
  try {
    const runs: [keyof typeof lags, (into: number[]) => Promise<number>][] = [
      ["direct", (into) => chatLag(direct, prompt, into)],
      ["chat_sse", (into) => chatLag(gateway, prompt, into)],
      ["responses_sse", (into) => responsesSseLag(gateway, prompt, into)],
      ["responses_ws", (into) => responsesWsLag(socket, gateway, prompt, into)],
    ];
    for (let i = 0; i < options.warmup; i++) for (const [, run] of runs) await run([]);
    for (let i = 0; i < options.requests; i++) {
      // Rotate the order so no transport always runs first.
      for (let j = 0; j < runs.length; j++) {
        const [name, run] = runs[(i + j) % runs.length];
        const got = await run(lags[name]);
        if (got !== options.tokens) {
          throw new Error(`${name}: ${got} of ${options.tokens} stamped tokens arrived`);
        }
      }
    }
  } finally {
    socket.close();
  }
  return {
    requests_each: options.requests,
    tokens_per_request: options.tokens,
    interval_ms: options.intervalMs,
    direct: stats(lags.direct),
    chat_sse: stats(lags.chat_sse),
    responses_sse: stats(lags.responses_sse),
    responses_ws: stats(lags.responses_ws),
  };
}
