/**
 * Time to first token directly from the upstream, through the bare Deno proxy and through the
 * gateway, with the three interleaved in rotating rounds of the same run so all see the same
 * machine noise. The gateway is judged against the proxy: what it adds on top of a bare proxy.
 * @module
 */
import { streamChat, type Target } from "./client.ts";
import { benchPrompt } from "./fake_upstream_server.ts";
import { pool, quantile, round } from "./stats.ts";
import { roundOrder, type TargetName, type Targets } from "./targets.ts";

/** TTFT percentiles in milliseconds at one concurrency. */
export interface LatencyResult {
  concurrency: number;
  requests_each: number;
  direct_p50_ms: number;
  direct_p99_ms: number;
  proxy_p50_ms: number;
  proxy_p99_ms: number;
  gateway_p50_ms: number;
  gateway_p99_ms: number;
  /** gateway p50 − direct p50. */
  added_p50_ms: number;
  /** gateway p99 − direct p99. */
  added_p99_ms: number;
  /** proxy p50 − direct p50: what a bare Deno proxy adds. */
  proxy_added_p50_ms: number;
  /** proxy p99 − direct p99. */
  proxy_added_p99_ms: number;
  /** gateway p50 − proxy p50: what Herald adds on top of a bare proxy. */
  over_proxy_p50_ms: number;
  /** gateway p99 − proxy p99. */
  over_proxy_p99_ms: number;
  /** gateway p50 ÷ proxy p50. */
  ratio_to_proxy_p50: number;
}

const PROMPT = benchPrompt({ tokens: 8, first: 0, interval: 0, batch: 8 });

async function ttft(target: Target): Promise<number> {
  const result = await streamChat(target, PROMPT);
  if (!result.done || result.tokens !== 8) {
    throw new Error(`A latency stream ended early: ${result.tokens} tokens, done ${result.done}`);
  }
  return result.ttftMs;
}

/**
 * Runs `rounds` rounds; each sends `concurrency × perRound` requests to each target, rotating
 * which goes first.
 */
export async function benchLatency(
  targets: Targets,
  options: { concurrency: number; rounds: number; perRound: number; warmup: number },
): Promise<LatencyResult> {
  const { concurrency, rounds, perRound } = options;
  const times: Record<TargetName, number[]> = { direct: [], proxy: [], gateway: [] };
  for (const name of roundOrder(0)) {
    await pool(options.warmup, concurrency, () => ttft(targets[name]));
  }
  for (let r = 0; r < rounds; r++) {
    for (const name of roundOrder(r)) {
      times[name].push(
        ...await pool(concurrency * perRound, concurrency, () => ttft(targets[name])),
      );
    }
  }
  const q = (name: TargetName, p: number) => quantile(times[name], p);
  const [d50, d99] = [q("direct", 0.5), q("direct", 0.99)];
  const [p50, p99] = [q("proxy", 0.5), q("proxy", 0.99)];
  const [g50, g99] = [q("gateway", 0.5), q("gateway", 0.99)];
  return {
    concurrency,
    requests_each: times.direct.length,
    direct_p50_ms: round(d50, 3),
    direct_p99_ms: round(d99, 3),
    proxy_p50_ms: round(p50, 3),
    proxy_p99_ms: round(p99, 3),
    gateway_p50_ms: round(g50, 3),
    gateway_p99_ms: round(g99, 3),
    added_p50_ms: round(g50 - d50, 3),
    added_p99_ms: round(g99 - d99, 3),
    proxy_added_p50_ms: round(p50 - d50, 3),
    proxy_added_p99_ms: round(p99 - d99, 3),
    over_proxy_p50_ms: round(g50 - p50, 3),
    over_proxy_p99_ms: round(g99 - p99, 3),
    ratio_to_proxy_p50: round(g50 / p50, 2),
  };
}
