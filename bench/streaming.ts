/**
 * Streaming relay: tokens per second through one long stream (gateway and direct), and many
 * concurrent paced streams through a fresh gateway while its resident memory is sampled.
 * @module
 */
import { streamChat, type Target } from "./client.ts";
import { benchPrompt } from "./fake_upstream_server.ts";
import { BENCH_KEY, peakRssMb, rssMb, startGateway } from "./processes.ts";
import { median, round } from "./stats.ts";

/** One-stream relay rate. */
export interface RelayResult {
  tokens: number;
  direct_tokens_per_s: number;
  gateway_tokens_per_s: number;
  /** gateway ÷ direct. */
  ratio: number;
}

/** Many concurrent streams. */
export interface ConcurrentStreamsResult {
  streams: number;
  tokens_each: number;
  completed: number;
  failed: number;
  wall_s: number;
  rss_before_mb: number;
  /** Highest VmRSS sampled while the streams ran. */
  peak_rss_mb: number;
  /** The kernel's high-water mark (VmHWM) at the end. */
  vm_hwm_mb: number;
}

async function rate(target: Target, tokens: number): Promise<number> {
  const result = await streamChat(
    target,
    benchPrompt({ tokens, first: 0, interval: 0, batch: 64 }),
  );
  if (!result.done || result.tokens !== tokens) {
    throw new Error(`A relay stream ended early: ${result.tokens} of ${tokens} tokens`);
  }
  return tokens / (result.totalMs / 1000);
}

/** Streams `tokens` tokens `runs` times each way, alternating; reports medians. */
export async function benchRelay(
  direct: Target,
  gateway: Target,
  options: { tokens: number; runs: number },
): Promise<RelayResult> {
  const directRates: number[] = [];
  const gatewayRates: number[] = [];
  await rate(gateway, Math.min(options.tokens, 5_000));
  for (let i = 0; i < options.runs; i++) {
    directRates.push(await rate(direct, options.tokens));
    gatewayRates.push(await rate(gateway, options.tokens));
  }
  const d = median(directRates);
  const g = median(gatewayRates);
  return {
    tokens: options.tokens,
    direct_tokens_per_s: round(d, 0),
    gateway_tokens_per_s: round(g, 0),
    ratio: round(g / d, 3),
  };
}

/**
 * Opens `streams` streams at once through a fresh gateway (with max_concurrent_runs raised so
 * none is refused); each carries `tokens` tokens in batches paced by the upstream.
 */
export async function benchConcurrentStreams(
  upstream: string,
  options: { streams: number; tokens: number; batch: number; intervalMs: number },
): Promise<ConcurrentStreamsResult> {
  const gateway = await startGateway({
    upstream,
    configYaml: `api_server:\n  max_concurrent_runs: ${options.streams + 100}\n`,
  });
  try {
    const target: Target = { baseUrl: `${gateway.url}/v1`, key: BENCH_KEY, model: "herald" };
    await streamChat(target, benchPrompt({ tokens: 10 }));
    const pid = gateway.child.pid;
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 25);
    const prompt = benchPrompt({
      tokens: options.tokens,
      first: 0,
      interval: options.intervalMs,
      batch: options.batch,
    });
    const start = performance.now();
    const results = await Promise.all(
      Array.from({ length: options.streams }, () =>
        streamChat(target, prompt).then(
          (r) => r.done && r.tokens === options.tokens,
          () => false,
        )),
    );
    const wall = performance.now() - start;
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(pid));
    const completed = results.filter(Boolean).length;
    return {
      streams: options.streams,
      tokens_each: options.tokens,
      completed,
      failed: options.streams - completed,
      wall_s: round(wall / 1000, 2),
      rss_before_mb: round(before, 1),
      peak_rss_mb: round(peak, 1),
      vm_hwm_mb: round(peakRssMb(pid), 1),
    };
  } finally {
    await gateway.close();
  }
}
