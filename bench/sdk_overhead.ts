/**
 * What the `openai` SDK's request path costs against a plain `fetch`, in one process: the same
 * non-streamed Chat Completions body (a gateway-sized one: a system prompt and tool schemas, about
 * 7 KB) sent to the fake upstream (its own process) a few thousand times per variant, the
 * variants alternating in rounds, and the process's CPU time (user + system) per request
 * reported for each. CPU time, unlike wall time, does not grow when other processes take the
 * cores.
 *
 * ```sh
 * deno run -A bench/sdk_overhead.ts                 # 4 rounds of 1,500 requests per variant
 * deno run -A bench/sdk_overhead.ts --rounds 2 --requests 500 --concurrency 8
 * ```
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import OpenAI from "openai";
import { LlmClient, type LlmRequest } from "../agent/llm_client.ts";
import { benchPrompt } from "./fake_upstream_server.ts";
import { startUpstream } from "./processes.ts";
import { round } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "4" },
    requests: { type: "string", default: "1500" },
    concurrency: { type: "string", default: "8" },
    only: { type: "string" },
  },
});

const upstream = await startUpstream();
const tools = Array.from({ length: 12 }, (_, i) => ({
  type: "function",
  function: {
    name: `tool_${i}`,
    description: "Does one thing well. ".repeat(8),
    parameters: {
      type: "object",
      properties: { path: { type: "string", description: "Where." }, n: { type: "number" } },
      required: ["path"],
    },
  },
}));
const body = {
  model: "bench-model",
  messages: [
    { role: "system", content: "You are Herald. ".repeat(60) },
    { role: "user", content: benchPrompt({ tokens: 20 }) },
  ],
  tools,
  stream: false as const,
};
const json = JSON.stringify(body);
const url = `${upstream.baseUrl}/chat/completions`;
const apiKey = "sk-bench";

// Herald's own client over the SDK (agent/llm_client.ts), as a turn calls it: the same body.
const herald = new LlmClient({
  targets: [{ model: "bench-model", baseUrl: upstream.baseUrl, apiKey }],
  connectTimeout: 10,
  firstTokenTimeout: 120,
  staleTimeout: 180,
  maxRetries: 0,
});
const heraldRequest = { messages: body.messages, tools } as unknown as LlmRequest;

/** One request's way of being sent; each returns the answer's text. */
type Variant = (signal: AbortSignal) => Promise<string>;

const client = new OpenAI({ baseURL: upstream.baseUrl, apiKey, maxRetries: 0, timeout: 600_000 });
const jsonHeaders = { "content-type": "application/json" };
// The same client without the SDK's platform headers (a null default header removes it).
const lean = new OpenAI({
  baseURL: upstream.baseUrl,
  apiKey,
  maxRetries: 0,
  timeout: 600_000,
  defaultHeaders: Object.fromEntries(
    [
      "Lang",
      "Package-Version",
      "OS",
      "Arch",
      "Runtime",
      "Runtime-Version",
      "Retry-Count",
      "Timeout",
    ]
      .map((name) => [`X-Stainless-${name}`, null]),
  ),
});

const variants: Record<string, Variant> = {
  // What a bare proxy pays: one fetch with a header record.
  "plain fetch": async (signal) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: json,
      signal,
    });
    return await res.text();
  },
  // What Herald does: the resource method with a prebuilt string body, then the raw response.
  "sdk chat.completions.create().asResponse()": async (signal) => {
    // deno-lint-ignore no-explicit-any
    const res = await client.chat.completions.create(body as any, {
      signal,
      body: json,
      headers: jsonHeaders,
    }).asResponse();
    return await res.text();
  },
  // The SDK's generic request method: same machinery below the resource.
  "sdk client.post().asResponse()": async (signal) => {
    const res = await client.post("/chat/completions", {
      body: json,
      headers: jsonHeaders,
      signal,
    }).asResponse();
    return await res.text();
  },
  "sdk client.post() without X-Stainless-* headers": async (signal) => {
    const res = await lean.post("/chat/completions", {
      body: json,
      headers: jsonHeaders,
      signal,
    }).asResponse();
    return await res.text();
  },
  // Herald's LlmClient, whole answer (`whole: true`, what a non-streamed turn does).
  "herald LlmClient whole answer": async (signal) => {
    let text = "";
    for await (const batch of herald.streamBatches(heraldRequest, signal, { whole: true })) {
      text += batch[0]?.choices[0]?.delta?.content ?? "";
    }
    return text;
  },
  // Herald's LlmClient, streamed (20 tokens, read by its ChunkReader).
  "herald LlmClient stream": async (signal) => {
    let text = "";
    for await (const batch of herald.streamBatches(heraldRequest, signal)) {
      for (const chunk of batch) text += chunk.choices[0]?.delta?.content ?? "";
    }
    return text;
  },
  // The resource method, parsed by the SDK (what a typical SDK user writes).
  "sdk chat.completions.create() (parsed)": async (signal) => {
    // deno-lint-ignore no-explicit-any
    const completion = await client.chat.completions.create(body as any, { signal });
    return completion.id;
  },
};

/** CPU µs per request of `variant`, over `n` requests at `concurrency`. */
async function measure(variant: Variant, n: number, concurrency: number): Promise<number> {
  const signal = new AbortController().signal;
  let left = n;
  const start = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) await variant(signal);
  }));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const rounds = Number(values.rounds);
const n = Number(values.requests);
const concurrency = Number(values.concurrency);
const results = new Map<string, number[]>();
try {
  const names = Object.keys(variants).filter((name) => !values.only || name.includes(values.only));
  // Warm-up: JIT, connection pool, the SDK's lazy imports.
  for (const name of names) await measure(variants[name], 300, concurrency);
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so no variant always runs first.
    for (const name of [...names.slice(r % names.length), ...names.slice(0, r % names.length)]) {
      const us = await measure(variants[name], n, concurrency);
      results.set(name, [...results.get(name) ?? [], us]);
    }
  }
} finally {
  await upstream.child.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const baseline = median(results.get("plain fetch") ?? [0]);
console.log(
  `CPU µs per request (this process only; median of ${rounds} rounds of ${n}, ${concurrency} at a time):`,
);
for (const [name, runs] of results) {
  const m = median(runs);
  console.log(
    `  ${name.padEnd(46)} ${String(round(m, 1)).padStart(7)} µs  (+${
      round(m - baseline, 1)
    } over plain fetch; runs ${runs.map((x) => round(x, 0)).join(", ")})`,
  );
}
