/**
 * Throughput: non-streamed requests per second at a fixed concurrency with an instant upstream,
 * through the gateway and against the upstream alone, in alternating timed phases.
 * @module
 */
import { completeChat, type Target } from "./client.ts";
import { benchPrompt } from "./fake_upstream_server.ts";
import { round } from "./stats.ts";

/** Requests per second. */
export interface ThroughputResult {
  concurrency: number;
  direct_rps: number;
  gateway_rps: number;
  /** gateway ÷ direct. */
  ratio: number;
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

/** Runs `rounds` × (direct phase, gateway phase) of `phaseMs` each. */
export async function benchThroughput(
  direct: Target,
  gateway: Target,
  options: { concurrency: number; phaseMs: number; rounds: number },
): Promise<ThroughputResult> {
  const { concurrency, phaseMs } = options;
  // Warm both paths' connection pools first.
  await phase(direct, concurrency, Math.min(500, phaseMs));
  await phase(gateway, concurrency, Math.min(500, phaseMs));
  const totals = { direct: { ok: 0, ms: 0 }, gateway: { ok: 0, ms: 0 } };
  let failures = 0;
  for (let r = 0; r < options.rounds; r++) {
    const order = r % 2 === 0 ? ["direct", "gateway"] as const : ["gateway", "direct"] as const;
    for (const which of order) {
      const result = await phase(which === "direct" ? direct : gateway, concurrency, phaseMs);
      totals[which].ok += result.ok;
      totals[which].ms += result.ms;
      failures += result.failed;
    }
  }
  const directRps = totals.direct.ok / (totals.direct.ms / 1000);
  const gatewayRps = totals.gateway.ok / (totals.gateway.ms / 1000);
  return {
    concurrency,
    direct_rps: round(directRps, 0),
    gateway_rps: round(gatewayRps, 0),
    ratio: round(gatewayRps / directRps, 3),
    failures,
  };
}
