/**
 * Throughput: non-streamed requests per second at a fixed concurrency with an instant upstream,
 * against the upstream alone, through the bare Deno proxy and through the gateway, in rotating
 * timed phases of the same run.
 * @module
 */
import { completeChat, type Target } from "./client.ts";
import { benchPrompt } from "./fake_upstream_server.ts";
import { round } from "./stats.ts";
import { roundOrder, TARGET_NAMES, type Targets } from "./targets.ts";

/** Requests per second. */
export interface ThroughputResult {
  concurrency: number;
  direct_rps: number;
  proxy_rps: number;
  gateway_rps: number;
  /** gateway ÷ direct. */
  ratio: number;
  /** proxy ÷ direct. */
  proxy_ratio: number;
  /** gateway ÷ proxy: the figure the gateway is judged by. */
  ratio_to_proxy: number;
  failures: number;
}

const PROMPT = benchPrompt({ first: 0 });

async function phase(target: Target, concurrency: number, ms: number) {
  const deadline = performance.now() + ms;
  let ok = 0;
  let failed = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      if (await completeChat(target, PROMPT).catch(() => false)) ok++;
      else failed++;
    }
  }));
  return { ok, failed, ms: performance.now() - start };
}

/** Runs `rounds` × (one `phaseMs` phase per target), rotating the order. */
export async function benchThroughput(
  targets: Targets,
  options: { concurrency: number; phaseMs: number; rounds: number },
): Promise<ThroughputResult> {
  const { concurrency, phaseMs } = options;
  // Warm every path's connection pools first.
  for (const name of TARGET_NAMES) {
    await phase(targets[name], concurrency, Math.min(500, phaseMs));
  }
  const totals = { direct: { ok: 0, ms: 0 }, proxy: { ok: 0, ms: 0 }, gateway: { ok: 0, ms: 0 } };
  let failures = 0;
  for (let r = 0; r < options.rounds; r++) {
    for (const name of roundOrder(r)) {
      const result = await phase(targets[name], concurrency, phaseMs);
      totals[name].ok += result.ok;
      totals[name].ms += result.ms;
      failures += result.failed;
    }
  }
  const rps = (name: keyof typeof totals) => totals[name].ok / (totals[name].ms / 1000);
  const [direct, proxy, gateway] = [rps("direct"), rps("proxy"), rps("gateway")];
  return {
    concurrency,
    direct_rps: round(direct, 0),
    proxy_rps: round(proxy, 0),
    gateway_rps: round(gateway, 0),
    ratio: round(gateway / direct, 3),
    proxy_ratio: round(proxy / direct, 3),
    ratio_to_proxy: round(gateway / proxy, 3),
    failures,
  };
}
