/**
 * Added latency: time to first token through the gateway minus time to first token from the
 * upstream directly, with direct and gateway requests interleaved in the same run so both see
 * the same machine noise.
 * @module
 */
import { streamChat, type Target } from "./client.ts";
import { benchPrompt } from "./fake_upstream_server.ts";
import { pool, quantile, round } from "./stats.ts";

/** TTFT percentiles in milliseconds at one concurrency. */
export interface LatencyResult {
  concurrency: number;
  requests_each: number;
  direct_p50_ms: number;
  direct_p99_ms: number;
  gateway_p50_ms: number;
  gateway_p99_ms: number;
  /** gateway p50 − direct p50. */
  added_p50_ms: number;
  /** gateway p99 − direct p99. */
  added_p99_ms: number;
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
 * Runs `rounds` rounds; each sends `concurrency × perRound` requests direct and the same through
 * the gateway, alternating which goes first.
 */
export async function benchLatency(
  direct: Target,
  gateway: Target,
  options: { concurrency: number; rounds: number; perRound: number; warmup: number },
): Promise<LatencyResult> {
  const { concurrency, rounds, perRound } = options;
  await pool(options.warmup, concurrency, () => ttft(direct));
  await pool(options.warmup, concurrency, () => ttft(gateway));
  const directTimes: number[] = [];
  const gatewayTimes: number[] = [];
  const batch = async (target: Target, into: number[]) => {
    into.push(...await pool(concurrency * perRound, concurrency, () => ttft(target)));
  };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await batch(direct, directTimes);
      await batch(gateway, gatewayTimes);
    } else {
      await batch(gateway, gatewayTimes);
      await batch(direct, directTimes);
    }
  }
  const d50 = quantile(directTimes, 0.5);
  const d99 = quantile(directTimes, 0.99);
  const g50 = quantile(gatewayTimes, 0.5);
  const g99 = quantile(gatewayTimes, 0.99);
  return {
    concurrency,
    requests_each: directTimes.length,
    direct_p50_ms: round(d50, 3),
    direct_p99_ms: round(d99, 3),
    gateway_p50_ms: round(g50, 3),
    gateway_p99_ms: round(g99, 3),
    added_p50_ms: round(g50 - d50, 3),
    added_p99_ms: round(g99 - d99, 3),
  };
}
