/**
 * Streaming relay: tokens per second through one long stream (direct, through the bare Deno proxy
 * and through the gateway), and many concurrent paced streams through a fresh bare proxy, a fresh
 * JavaScript relay (bench/js_relay_server.ts) and then a fresh gateway while each one's resident
 * memory is sampled.
 * @module
 */
import { streamChat, type Target } from "./client.ts";
import { benchPrompt } from "./fake_upstream_server.ts";
import {
  BENCH_KEY,
  peakRssMb,
  rssMb,
  startBareProxy,
  startGateway,
  startJsRelay,
} from "./processes.ts";
import { median, round } from "./stats.ts";
import { roundOrder, type TargetName, type Targets } from "./targets.ts";

/** One-stream relay rate. */
export interface RelayResult {
  tokens: number;
  direct_tokens_per_s: number;
  proxy_tokens_per_s: number;
  gateway_tokens_per_s: number;
  /** gateway ÷ direct. */
  ratio: number;
  /** gateway ÷ proxy. */
  ratio_to_proxy: number;
}

/** Many concurrent streams through one process. */
export interface StreamsRun {
  completed: number;
  failed: number;
  wall_s: number;
  rss_before_mb: number;
  /** Highest VmRSS sampled while the streams ran. */
  peak_rss_mb: number;
  /** The kernel's high-water mark (VmHWM) at the end. */
  vm_hwm_mb: number;
}

/**
 * One process kind's runs of the same streams, each in a fresh process: the run with the median
 * peak, with every run's peak beside it. `completed` is the fewest any run completed and `failed`
 * the most any run failed, so a failure in any run shows.
 */
export interface StreamsRuns extends StreamsRun {
  /** Every run's peak RSS, in the order they ran. */
  peak_rss_mb_runs: number[];
}

/**
 * Many concurrent streams: the gateway's figures at the top level, the proxy's under `proxy`, the
 * JavaScript relay's under `js_relay`. Each is the median of `rounds` runs (see {@link StreamsRuns}):
 * the peak of one run is bimodal, tens of MB apart from one run to the next.
 */
export interface ConcurrentStreamsResult extends StreamsRuns {
  streams: number;
  tokens_each: number;
  /** Fresh processes of each kind, in turn: proxy, relay, gateway, then again. */
  rounds: number;
  /** The same streams through a fresh bare proxy. */
  proxy: StreamsRuns;
  /** The same streams through a fresh JavaScript relay (bench/js_relay_server.ts). */
  js_relay: StreamsRuns;
  /** gateway peak RSS ÷ proxy peak RSS. */
  peak_rss_ratio_to_proxy: number;
  /** gateway peak RSS ÷ JavaScript relay peak RSS. */
  peak_rss_ratio_to_js_relay: number;
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

/** Streams `tokens` tokens `runs` times through each target, rotating; reports medians. */
export async function benchRelay(
  targets: Targets,
  options: { tokens: number; runs: number },
): Promise<RelayResult> {
  const rates: Record<TargetName, number[]> = { direct: [], proxy: [], gateway: [] };
  await rate(targets.proxy, Math.min(options.tokens, 5_000));
  await rate(targets.gateway, Math.min(options.tokens, 5_000));
  for (let i = 0; i < options.runs; i++) {
    for (const name of roundOrder(i)) rates[name].push(await rate(targets[name], options.tokens));
  }
  const [d, p, g] = [median(rates.direct), median(rates.proxy), median(rates.gateway)];
  return {
    tokens: options.tokens,
    direct_tokens_per_s: round(d, 0),
    proxy_tokens_per_s: round(p, 0),
    gateway_tokens_per_s: round(g, 0),
    ratio: round(g / d, 3),
    ratio_to_proxy: round(g / p, 3),
  };
}

type StreamsOptions = { streams: number; tokens: number; batch: number; intervalMs: number };

/** Opens `streams` streams at once through `target` (served by process `pid`), sampling its RSS. */
async function runStreams(
  target: Target,
  pid: number,
  options: StreamsOptions,
): Promise<StreamsRun> {
  await streamChat(target, benchPrompt({ tokens: 10 }));
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
    completed,
    failed: options.streams - completed,
    wall_s: round(wall / 1000, 2),
    rss_before_mb: round(before, 1),
    peak_rss_mb: round(peak, 1),
    vm_hwm_mb: round(peakRssMb(pid), 1),
  };
}

/**
 * Opens `streams` streams at once through a fresh bare proxy, then a fresh JavaScript relay, then
 * a fresh gateway (with max_concurrent_runs raised so none is refused), `rounds` times; each
 * stream carries `tokens` tokens in batches paced by the upstream.
 */
export async function benchConcurrentStreams(
  upstream: string,
  options: StreamsOptions,
  rounds = 1,
): Promise<ConcurrentStreamsResult> {
  const viaBaseline = async (start: typeof startBareProxy): Promise<StreamsRun> => {
    const baseline = await start(upstream);
    try {
      return await runStreams(
        { baseUrl: baseline.baseUrl, model: "bench" },
        baseline.child.pid,
        options,
      );
    } finally {
      await baseline.child.stop();
    }
  };
  const viaGateway = async (): Promise<StreamsRun> => {
    const gateway = await startGateway({
      upstream,
      configYaml: `api_server:\n  max_concurrent_runs: ${options.streams + 100}\n`,
    });
    try {
      const target: Target = { baseUrl: `${gateway.url}/v1`, key: BENCH_KEY, model: "herald" };
      return await runStreams(target, gateway.child.pid, options);
    } finally {
      await gateway.close();
    }
  };
  const proxyRuns: StreamsRun[] = [];
  const relayRuns: StreamsRun[] = [];
  const gatewayRuns: StreamsRun[] = [];
  for (let i = 0; i < Math.max(1, rounds); i++) {
    proxyRuns.push(await viaBaseline(startBareProxy));
    relayRuns.push(await viaBaseline(startJsRelay));
    gatewayRuns.push(await viaGateway());
  }
  const proxy = medianRun(proxyRuns);
  const relay = medianRun(relayRuns);
  const gateway = medianRun(gatewayRuns);
  return {
    streams: options.streams,
    tokens_each: options.tokens,
    rounds: gatewayRuns.length,
    ...gateway,
    proxy,
    js_relay: relay,
    peak_rss_ratio_to_proxy: round(gateway.peak_rss_mb / proxy.peak_rss_mb, 2),
    peak_rss_ratio_to_js_relay: round(gateway.peak_rss_mb / relay.peak_rss_mb, 2),
  };
}

/**
 * The run with the median peak (the lower middle one of an even number), with every run's peak,
 * the fewest completed and the most failed.
 */
export function medianRun(runs: StreamsRun[]): StreamsRuns {
  if (runs.length === 0) throw new Error("medianRun needs at least one run");
  const byPeak = [...runs].sort((a, b) => a.peak_rss_mb - b.peak_rss_mb);
  const middle = byPeak[Math.floor((byPeak.length - 1) / 2)];
  return {
    ...middle,
    completed: Math.min(...runs.map((r) => r.completed)),
    failed: Math.max(...runs.map((r) => r.failed)),
    peak_rss_mb_runs: runs.map((r) => r.peak_rss_mb),
  };
}
