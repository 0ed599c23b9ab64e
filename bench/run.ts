/**
 * `deno task bench`: runs every benchmark against the fake upstream (its own process), prints a
 * table and writes bench/results.json. `--quick` shrinks every measurement to a smoke test and
 * checks no thresholds (CI runs it); `--out PATH` writes the results elsewhere; `--only a,b` runs
 * only the named sections (e.g. `--only latency,throughput,streaming` to repeat the proxy
 * comparisons).
 * @module
 */
import { parseArgs } from "node:util";
import { benchLatency, type LatencyResult } from "./latency.ts";
import { benchMcpStartup } from "./mcp_startup.ts";
import { benchMemory } from "./memory.ts";
import { BENCH_KEY, startBareProxy, startGateway, startUpstream } from "./processes.ts";
import { formatTable, machineInfo, type Row, type TargetCheck } from "./report.ts";
import { round } from "./stats.ts";
import { benchResponsesStore } from "./responses_store.ts";
import { benchSandbox } from "./sandbox.ts";
import { SECTIONS } from "./sections.ts";
import { benchStartup } from "./startup.ts";
import { benchConcurrentStreams, benchRelay } from "./streaming.ts";
import { benchTelegramEdits } from "./telegram_edits.ts";
import { benchPlatformEdits } from "./platform_edits.ts";
import { benchThroughput } from "./throughput.ts";
import type { Targets } from "./targets.ts";
import { benchTokenLag } from "./token_lag.ts";

const FULL = {
  startupRuns: 7,
  settleMs: 1000,
  latency1: { concurrency: 1, rounds: 10, perRound: 50, warmup: 50 },
  latency50: { concurrency: 50, rounds: 4, perRound: 10, warmup: 100 },
  tokenLag: { requests: 40, tokens: 50, intervalMs: 5, warmup: 3 },
  throughput: { concurrency: 50, phaseMs: 3000, rounds: 2 },
  relay: { tokens: 200_000, runs: 3 },
  streams: { streams: 1000, tokens: 100, batch: 2, intervalMs: 50 },
  // Fresh processes of each kind, this many times; the figures are the median run's.
  streamRounds: 3,
  store: { turns: 1000, repeats: 20 },
  telegram: { editIntervalS: 1.5, streamMs: 15_000, tokenMs: 20 },
  chat: { editIntervalS: 1.5, streamMs: 15_000, tokenMs: 20 },
  sandbox: { calls: 100, burnSeconds: 5 },
};

const QUICK: typeof FULL = {
  startupRuns: 1,
  settleMs: 200,
  latency1: { concurrency: 1, rounds: 2, perRound: 10, warmup: 5 },
  latency50: { concurrency: 10, rounds: 1, perRound: 2, warmup: 10 },
  tokenLag: { requests: 2, tokens: 10, intervalMs: 2, warmup: 1 },
  throughput: { concurrency: 10, phaseMs: 300, rounds: 1 },
  relay: { tokens: 5_000, runs: 1 },
  streams: { streams: 50, tokens: 20, batch: 2, intervalMs: 10 },
  streamRounds: 1,
  store: { turns: 1000, repeats: 2 },
  telegram: { editIntervalS: 0.25, streamMs: 1500, tokenMs: 10 },
  chat: { editIntervalS: 0.25, streamMs: 1500, tokenMs: 10 },
  sandbox: { calls: 3, burnSeconds: 1 },
};

function log(line: string): void {
  console.error(line);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      only: { type: "string" },
    },
  });
  const quick = values.quick!;
  const out = values.out ?? new URL("./results.json", import.meta.url).pathname;
  const s = quick ? QUICK : FULL;
  const started = performance.now();
  const results: Record<string, unknown> = {
    meta: { date: new Date().toISOString(), quick, machine: machineInfo() },
  };
  const errors: string[] = [];
  const only = values.only ? new Set(values.only.split(",").map((n) => n.trim())) : undefined;
  const unknown = [...only ?? []].filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`Unknown section(s): ${unknown.join(", ")}`);
  const wanted = (name: string) => !only || only.has(name);
  const section = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (!wanted(name)) return undefined;
    log(`bench: ${name}…`);
    const t0 = performance.now();
    try {
      const value = await run();
      results[name] = value;
      log(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return value;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results[name] = { error: message };
      errors.push(`${name}: ${message}`);
      log(`bench: ${name} failed: ${message}`);
      return undefined;
    }
  };

  const upstream = await startUpstream();
  try {
    await section("startup", () => benchStartup(upstream.baseUrl, s.startupRuns));
    await section(
      "mcp_startup",
      () => benchMcpStartup(upstream.baseUrl, Math.min(s.startupRuns, 5), quick),
    );
    await section("memory", () => benchMemory(upstream.baseUrl, s.settleMs));

    const proxied = ["latency", "token_lag", "throughput", "streaming"].some(wanted);
    if (proxied) {
      const proxy = await startBareProxy(upstream.baseUrl);
      const gateway = await startGateway({
        upstream: upstream.baseUrl,
        configYaml: "api_server:\n  max_concurrent_runs: 1000\n",
      });
      try {
        const targets: Targets = {
          direct: { baseUrl: upstream.baseUrl, model: "bench" },
          proxy: { baseUrl: proxy.baseUrl, model: "bench" },
          gateway: { baseUrl: `${gateway.url}/v1`, key: BENCH_KEY, model: "herald" },
        };
        await section("latency", async () => {
          const c1 = await benchLatency(targets, s.latency1);
          const cN = await benchLatency(targets, s.latency50);
          return { concurrency_1: c1, [`concurrency_${cN.concurrency}`]: cN };
        });
        await section(
          "token_lag",
          () => benchTokenLag(targets.direct, targets.gateway, s.tokenLag),
        );
        await section("throughput", () => benchThroughput(targets, s.throughput));
        await section("streaming", async () => ({
          relay: await benchRelay(targets, s.relay),
          concurrent: await benchConcurrentStreams(upstream.baseUrl, s.streams, s.streamRounds),
        }));
      } finally {
        await gateway.close();
        await proxy.child.stop();
      }
    }
  } finally {
    await upstream.child.stop();
  }
  await section("responses_store", () => benchResponsesStore(s.store));
  await section("telegram", () => benchTelegramEdits(s.telegram));
  await section("discord", () => benchPlatformEdits("discord", s.chat));
  await section("slack", () => benchPlatformEdits("slack", s.chat));
  await section("sandbox", () => benchSandbox(s.sandbox));

  const targets = checkTargets(results, quick);
  results.targets = targets;
  results.meta = { ...results.meta as object, total_s: (performance.now() - started) / 1000 };
  if (errors.length) results.errors = errors;
  await Deno.writeTextFile(out, JSON.stringify(results, null, 2) + "\n");

  console.log(formatTable(rowsOf(results, targets)));
  console.log(`\nWrote ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  if (errors.length) {
    console.error(`\n${errors.length} section(s) failed:\n${errors.join("\n")}`);
    return 1;
  }
  return 0;
}

// deno-lint-ignore no-explicit-any
type Json = any;

function checkTargets(r: Json, quick: boolean): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add = (
    name: string,
    value: number | undefined,
    target: string,
    ok: (v: number) => boolean,
  ) => {
    if (typeof value !== "number") return;
    checks.push({ name, value, target, met: quick ? null : ok(value) });
  };
  add("start-up from source (ms)", r.startup?.source_ms_median, "≤ 300", (v) => v <= 300);
  add("idle RSS (MB)", r.memory?.idle_rss_mb, "≤ 80", (v) => v <= 80);
  const c1 = r.latency?.concurrency_1;
  add("TTFT p50 over bare proxy, c=1 (ms)", c1?.over_proxy_p50_ms, "≤ 1", (v) => v <= 1);
  add("TTFT p99 over bare proxy, c=1 (ms)", c1?.over_proxy_p99_ms, "≤ 5", (v) => v <= 5);
  add("throughput ÷ bare proxy", r.throughput?.ratio_to_proxy, "≥ 0.3", (v) => v >= 0.3);
  add(
    "relay tokens/s",
    r.streaming?.relay?.gateway_tokens_per_s,
    "≥ 50000",
    (v) => v >= 50_000,
  );
  const c = r.streaming?.concurrent;
  if (c && typeof c.completed === "number") {
    add("concurrent streams completed", c.completed, `= ${c.streams}`, (v) => v === c.streams);
    add("concurrent streams peak RSS (MB)", c.peak_rss_mb, "≤ 300", (v) => v <= 300);
  }
  add("rebuild 1,000 turns (ms)", r.responses_store?.rebuild_ms?.["1000"], "≤ 20", (v) => v <= 20);
  const bytes = Object.values(r.responses_store?.bytes_per_turn ?? {}) as number[];
  if (bytes.length >= 2) {
    add("bytes/turn last ÷ first", bytes.at(-1)! / bytes[0], "≤ 1.1 (flat)", (v) => v <= 1.1);
  }
  for (const [key, label] of [["discord", "Discord"], ["slack", "Slack"]] as const) {
    const p = r[key];
    if (p && typeof p.updates_per_minute === "number") {
      add(
        `${label} updates/min`,
        p.updates_per_minute,
        `≤ ${p.allowed_per_minute}`,
        (v) => v <= p.allowed_per_minute,
      );
    }
  }
  const t = r.telegram;
  if (t && typeof t.edits_per_minute === "number") {
    add(
      "Telegram edits/min",
      t.edits_per_minute,
      `≤ ${t.allowed_per_minute}`,
      (v) => v <= t.allowed_per_minute,
    );
  }
  add(
    "/health p99 while a tool burns every core (ms)",
    r.sandbox?.health?.while_burning?.p99_ms,
    "≤ 100",
    (v) => v <= 100,
  );
  return checks;
}

function rowsOf(r: Json, targets: TargetCheck[]): Row[] {
  const rows: Row[] = [];
  const target = (name: string) => targets.find((t) => t.name === name);
  const row = (measure: string, value: unknown, targetName?: string) => {
    if (value === undefined) return;
    const t = targetName ? target(targetName) : undefined;
    rows.push({ measure, value: String(value), target: t?.target, met: t?.met });
  };
  row(
    "start-up from source, median (ms)",
    r.startup?.source_ms_median,
    "start-up from source (ms)",
  );
  row("start-up from bundle, median (ms)", r.startup?.bundle_ms_median ?? r.startup?.bundle_note);
  row(
    "start-up with 2 stdio MCP servers: added to /health / to connected (ms)",
    r.mcp_startup?.added_health_ms === undefined
      ? undefined
      : `${r.mcp_startup.added_health_ms} / ${r.mcp_startup.added_ready_ms}`,
  );
  row("idle RSS (MB)", r.memory?.idle_rss_mb, "idle RSS (MB)");
  row("idle RSS with Telegram worker (MB)", r.memory?.idle_rss_with_telegram_mb);
  row(
    "idle RSS with Telegram, Discord and Slack workers (MB)",
    r.memory?.idle_rss_with_all_platforms_mb,
  );
  const vs = (gateway: number, proxy: number, digits = 2) =>
    `${round(gateway / proxy, digits)}× bare proxy`;
  for (const [key, l] of Object.entries(r.latency ?? {}) as [string, LatencyResult][]) {
    if (typeof l !== "object" || !l || !("concurrency" in l)) continue;
    const c = l.concurrency;
    const c1 = key === "concurrency_1";
    row(
      `TTFT c=${c} p50 direct / bare proxy / gateway (ms)`,
      `${l.direct_p50_ms} / ${l.proxy_p50_ms} / ${l.gateway_p50_ms} (${
        vs(l.gateway_p50_ms, l.proxy_p50_ms)
      })`,
    );
    row(
      `TTFT c=${c} p99 direct / bare proxy / gateway (ms)`,
      `${l.direct_p99_ms} / ${l.proxy_p99_ms} / ${l.gateway_p99_ms} (${
        vs(l.gateway_p99_ms, l.proxy_p99_ms)
      })`,
    );
    row(
      `added TTFT c=${c} p50 over direct: bare proxy / gateway (ms)`,
      `${l.proxy_added_p50_ms} / ${l.added_p50_ms}`,
    );
    row(
      `TTFT c=${c} p50 gateway − bare proxy (ms)`,
      l.over_proxy_p50_ms,
      c1 ? "TTFT p50 over bare proxy, c=1 (ms)" : undefined,
    );
    row(
      `TTFT c=${c} p99 gateway − bare proxy (ms)`,
      l.over_proxy_p99_ms,
      c1 ? "TTFT p99 over bare proxy, c=1 (ms)" : undefined,
    );
  }
  const lag = r.token_lag;
  if (lag?.direct?.p50_ms !== undefined) {
    for (
      const [name, label] of [
        ["direct", "upstream direct"],
        ["chat_sse", "Chat Completions SSE"],
        ["responses_sse", "Responses SSE"],
        ["responses_ws", "Responses WebSocket"],
      ]
    ) {
      row(`token lag, ${label}, p50 / p99 (ms)`, `${lag[name].p50_ms} / ${lag[name].p99_ms}`);
    }
  }
  if (r.throughput?.direct_rps !== undefined) {
    const t = r.throughput;
    row(
      `req/s c=${t.concurrency} direct / bare proxy / gateway`,
      `${t.direct_rps} / ${t.proxy_rps} / ${t.gateway_rps} (bare proxy ${t.proxy_ratio}× direct)`,
    );
    row("throughput gateway ÷ bare proxy", t.ratio_to_proxy, "throughput ÷ bare proxy");
  }
  const relay = r.streaming?.relay;
  if (relay?.gateway_tokens_per_s !== undefined) {
    row(
      "one stream tokens/s direct / bare proxy / gateway",
      `${relay.direct_tokens_per_s} / ${relay.proxy_tokens_per_s} / ${relay.gateway_tokens_per_s} (${
        vs(relay.gateway_tokens_per_s, relay.proxy_tokens_per_s)
      })`,
    );
    const t = target("relay tokens/s");
    if (t) rows.push({ measure: "one stream tokens/s gateway", ...t, value: String(t.value) });
  }
  const c = r.streaming?.concurrent;
  if (c?.completed !== undefined) {
    row(
      `${c.streams} concurrent streams completed bare proxy / JS relay / gateway`,
      `${c.proxy?.completed} / ${c.js_relay?.completed} / ${c.completed}`,
    );
    row(
      `${c.streams} streams wall time bare proxy / JS relay / gateway (s)`,
      `${c.proxy?.wall_s} / ${c.js_relay?.wall_s} / ${c.wall_s}`,
    );
    row(
      `${c.streams} streams peak RSS bare proxy / JS relay / gateway (MB${
        c.rounds > 1 ? `, median of ${c.rounds} runs` : ""
      })`,
      `${c.proxy?.peak_rss_mb} / ${c.js_relay?.peak_rss_mb} / ${c.peak_rss_mb} (${
        vs(c.peak_rss_mb, c.proxy?.peak_rss_mb)
      }, ${round(c.peak_rss_mb / (c.js_relay?.peak_rss_mb ?? NaN), 2)}× JS relay)`,
    );
    if (c.rounds > 1) {
      row(
        `${c.streams} streams peak RSS of each run, bare proxy / JS relay / gateway (MB)`,
        [c.proxy, c.js_relay, c].map((k) => (k?.peak_rss_mb_runs ?? []).join(", ")).join(" / "),
      );
    }
    for (const name of ["concurrent streams completed", "concurrent streams peak RSS (MB)"]) {
      const t = target(name);
      if (t) rows.push({ measure: `gateway ${name}`, ...t, value: String(t.value) });
    }
  }
  const st = r.responses_store;
  if (st?.rebuild_ms) {
    row("store a turn p50 / p99 (ms)", `${st.save_ms_p50} / ${st.save_ms_p99}`);
    for (const [n, ms] of Object.entries(st.rebuild_ms)) {
      row(
        `rebuild ${n}-turn chain (ms)`,
        ms,
        n === "1000" ? "rebuild 1,000 turns (ms)" : undefined,
      );
    }
    for (const [span, bytes] of Object.entries(st.bytes_per_turn)) {
      row(`bytes written/turn, ${span}`, bytes);
    }
    const ci = st.conversation_items_ms;
    if (ci) {
      row(`conversation of ${st.turns} turns: newest 20 items (ms)`, ci.last_page_20);
      row(`conversation of ${st.turns} turns: 20 items from the middle (ms)`, ci.middle_page_20);
      row(`conversation of ${st.turns} turns: all ${st.turns * 2} items (ms)`, ci.all_items);
      row(`list 20 of ${st.turns} conversations (ms)`, st.conversation_list_20_ms);
    }
    const flat = target("bytes/turn last ÷ first");
    if (flat) {
      rows.push({
        measure: "bytes/turn last ÷ first",
        value: String(Math.round(Number(flat.value) * 1000) / 1000),
        target: flat.target,
        met: flat.met,
      });
    }
  }
  const t = r.telegram;
  if (t?.edits_per_minute !== undefined) {
    row(
      `Telegram edits/min (edit_interval ${t.edit_interval_s} s)`,
      t.edits_per_minute,
      "Telegram edits/min",
    );
    row("Telegram shortest gap between edits (ms)", t.min_gap_ms);
  }
  for (const [key, label] of [["discord", "Discord"], ["slack", "Slack"]] as const) {
    const p = r[key];
    if (p?.updates_per_minute === undefined) continue;
    row(
      `${label} updates/min (edit_interval ${p.edit_interval_s} s)`,
      p.updates_per_minute,
      `${label} updates/min`,
    );
    row(`${label} shortest gap between updates (ms)`, p.min_gap_ms);
  }
  const sb = r.sandbox;
  if (sb?.per_call) {
    for (const tool of ["terminal", "read_file", "write_file"]) {
      const c = sb.per_call[tool];
      if (!c) continue;
      row(
        `${tool} call p50 / p99, unsandboxed → sandboxed (ms)`,
        `${c.unsandboxed.p50_ms} / ${c.unsandboxed.p99_ms} → ${c.sandboxed.p50_ms} / ${c.sandboxed.p99_ms}`,
      );
      row(`${tool} added by the sandbox p50 / p99 (ms)`, `${c.added_p50_ms} / ${c.added_p99_ms}`);
    }
    const ft = sb.file_tools;
    for (const tool of ["read_file", "write_file"]) {
      const c = ft?.[tool];
      if (!c) continue;
      row(
        `${tool} sandboxed p50 / p99, helper per call → per turn (ms)`,
        `${c.helper_per_call.p50_ms} / ${c.helper_per_call.p99_ms} → ` +
          `${c.helper_per_turn.p50_ms} / ${c.helper_per_turn.p99_ms}`,
      );
    }
    if (ft?.turn_of_10_reads) {
      const t = ft.turn_of_10_reads;
      row(
        "turn of 10 sandboxed reads p50, helper per call → per turn (ms)",
        `${t.helper_per_call.p50_ms} → ${t.helper_per_turn.p50_ms}`,
      );
    }
    if (ft?.kept_helper_rss_mb) row("memory of one kept file helper (MiB)", ft.kept_helper_rss_mb);
    const worst = Math.max(...Object.values(sb.classifier_worst_case_ms ?? {}) as number[]);
    row("classifier, worst 64 KB command (ms)", worst);
    const h = sb.health;
    row("/health idle p50 / p99 (ms)", `${h.idle.p50_ms} / ${h.idle.p99_ms}`);
    row(
      `/health while ${h.cores} cores burn, p50 / p99 (ms)`,
      `${h.while_burning.p50_ms} / ${h.while_burning.p99_ms}`,
      "/health p99 while a tool burns every core (ms)",
    );
  }
  for (const name of SECTIONS) {
    const v = r[name];
    if (v && typeof v === "object" && "error" in v) {
      rows.push({ measure: `${name} FAILED`, value: String(v.error).slice(0, 120) });
    }
  }
  return rows;
}

if (import.meta.main) {
  Deno.exit(await main());
}
