/**
 * Start-up: process spawn → first `GET /health` answered, from source and from a bundle.
 * One unmeasured run first fills Deno's module cache, as on any machine after the first start.
 * @module
 */
import { join } from "node:path";
import { spawnGateway, waitForHealth } from "./processes.ts";
import { median, round } from "./stats.ts";

/** Start-up figures in milliseconds. */
export interface StartupResult {
  source_ms_median: number;
  source_ms_runs: number[];
  bundle_ms_median: number | null;
  bundle_ms_runs: number[];
  /** Why the bundle was not measured, when it was not. */
  bundle_note?: string;
}

const ROOT = new URL("..", import.meta.url).pathname;

async function timeStarts(upstream: string, runs: number, entry?: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const gateway = await spawnGateway({ upstream, entry });
    try {
      const ms = await waitForHealth(gateway);
      if (i > 0) times.push(round(ms, 1));
    } finally {
      await gateway.close();
    }
  }
  return times;
}

/** Builds the bundle `deno task bundle` builds, into a temp dir; returns its path or a reason. */
async function buildBundle(dir: string): Promise<{ path?: string; note?: string }> {
  const path = join(dir, "herald.js");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform", "deno", "--output", path, join(ROOT, "main.ts")],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    return { note: `deno bundle failed: ${new TextDecoder().decode(out.stderr).slice(-300)}` };
  }
  return { path };
}

/** Measures start-up `runs` times from source and from the bundle. */
export async function benchStartup(upstream: string, runs: number): Promise<StartupResult> {
  const source = await timeStarts(upstream, runs);
  const dir = await Deno.makeTempDir({ prefix: "herald-bundle-" });
  try {
    const bundle = await buildBundle(dir);
    const bundled = bundle.path ? await timeStarts(upstream, runs, bundle.path) : [];
    return {
      source_ms_median: median(source),
      source_ms_runs: source,
      bundle_ms_median: bundled.length ? median(bundled) : null,
      bundle_ms_runs: bundled,
      ...(bundle.note ? { bundle_note: bundle.note } : {}),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
