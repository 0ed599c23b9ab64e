/**
 * The benchmark client: raw fetch and a hand-rolled SSE reader, so client overhead stays small
 * and identical for direct and gateway calls (no SDK in the measured path).
 * @module
 */

/** Where a request goes: the upstream directly or the gateway. */
export interface Target {
  /** The OpenAI base URL, ending in /v1. */
  baseUrl: string;
  /** Bearer key, if the target wants one. */
  key?: string;
  /** The model id to send. */
  model: string;
}

/** What one streamed request measured. */
export interface StreamResult {
  /** Milliseconds from sending the request to the first non-empty content delta. */
  ttftMs: number;
  /** Milliseconds until `[DONE]`. */
  totalMs: number;
  /** Content deltas received. */
  tokens: number;
  /** True when the stream ended with `data: [DONE]`. */
  done: boolean;
}

const CONTENT = '"delta":{"content":"';
const decoder = new TextDecoder();

function headers(target: Target): HeadersInit {
  return {
    "Content-Type": "application/json",
    ...(target.key ? { Authorization: `Bearer ${target.key}` } : {}),
  };
}

function body(target: Target, prompt: string, stream: boolean): string {
  return JSON.stringify({
    model: target.model,
    stream,
    messages: [{ role: "user", content: prompt }],
  });
}

/** Sends one streamed chat completion and reads it to the end. */
export async function streamChat(target: Target, prompt: string): Promise<StreamResult> {
  const t0 = performance.now();
  const res = await fetch(`${target.baseUrl}/chat/completions`, {
    method: "POST",
    headers: headers(target),
    body: body(target, prompt, true),
  });
  if (!res.ok || !res.body) {
    throw new Error(
      `Streamed request to ${target.baseUrl} failed: ${res.status} ${await res.text()}`,
    );
  }
  let ttftMs = NaN;
  let tokens = 0;
  let done = false;
  let buffer = "";
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let start = 0;
    let end: number;
    // Frames end in a blank line; count the ones carrying content, stop at [DONE].
    while ((end = buffer.indexOf("\n\n", start)) >= 0) {
      const delta = buffer.indexOf('"delta":', start);
      if (delta >= 0 && delta < end && buffer.startsWith(CONTENT, delta)) {
        if (tokens === 0) ttftMs = performance.now() - t0;
        tokens++;
      } else if (buffer.startsWith("data: [DONE]", start)) done = true;
      start = end + 2;
    }
    buffer = buffer.slice(start);
  }
  return { ttftMs, totalMs: performance.now() - t0, tokens, done };
}

/** Sends one non-streamed chat completion; returns true on a 200 with a body. */
export async function completeChat(target: Target, prompt: string): Promise<boolean> {
  const res = await fetch(`${target.baseUrl}/chat/completions`, {
    method: "POST",
    headers: headers(target),
    body: body(target, prompt, false),
  });
  const text = await res.text();
  return res.ok && text.length > 0;
}
