/**
 * Where the gateway's CPU time per request goes. Runs the gateway with `--cpu-prof` against the
 * fake upstream, loads it with non-streamed or streamed requests for a few seconds, stops it (the
 * profile is written on exit) and summarises the samples taken while the load ran: by component
 * (guards, body parsing and validation, system prompt and tool specs, the openai SDK, upstream SSE
 * parsing, event rendering, logging, GC, Deno's own HTTP/fetch/stream machinery…) and by function.
 *
 * ```sh
 * deno run -A bench/profile.ts                       # both paths, 8 s each
 * deno run -A bench/profile.ts --mode plain --seconds 5 --concurrency 20 --top 30
 * deno run -A bench/profile.ts --mode paced --concurrency 500   # streams paced like the 1,000-stream test
 * deno run -A bench/profile.ts --keep /tmp/prof      # also keep the .cpuprofile files
 * deno run -A bench/profile.ts --proxy               # the bare proxy, for comparison
 * deno run -A bench/profile.ts --js-relay            # the JavaScript relay, for comparison
 * ```
 *
 * A sample is charged to the nearest Herald or npm frame on its stack (a `JSON.stringify` called by
 * the SDK is the SDK's time); a sample with no such frame is Deno's own machinery. The .cpuprofile
 * files open in Chrome DevTools' Performance panel.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { completeChat, streamChat, type Target } from "./client.ts";
import { benchPrompt } from "./fake_upstream_server.ts";
import {
  BENCH_KEY,
  startBareProxy,
  startGateway,
  startJsRelay,
  startUpstream,
} from "./processes.ts";
import { round } from "./stats.ts";

/** One call frame of a V8 CPU profile. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A V8 CPU profile (`.cpuprofile`). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time charged to one component or function, over the load window. */
export interface Share {
  name: string;
  /** Microseconds of CPU per request: its share of the samples × the process's CPU per request. */
  us_per_request: number;
  /** Share of the non-idle samples, in percent. */
  percent: number;
}

/** One profiled path's summary. */
export interface PathProfile {
  mode: ProfileMode;
  requests: number;
  seconds: number;
  requests_per_s: number;
  /**
   * CPU time the process used per request (user + system, all threads, from /proc), in
   * microseconds: unlike sampled time it does not grow when other processes take the cores.
   */
  cpu_us_per_request: number;
  /** Sampled (non-idle) time on the main thread per request, in microseconds. */
  sampled_us_per_request: number;
  components: Share[];
  functions: Share[];
}

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * The functions of agent/llm_client.ts that read and parse an upstream stream (ChunkReader, and
 * UpstreamBatches' per-read steps under the watchdog); the rest of the file sends requests and
 * reads whole answers.
 */
const SSE_READING = new Set([
  "readChunks",
  "read",
  "#open",
  "#parse",
  "#readFrom",
  "#read",
  "#saw",
  "close",
]);

/**
 * The component a Herald source file or npm package belongs to, for the breakdown table; null for
 * files that are not Herald's or an npm package's (Deno's own `ext:` code, node: polyfills).
 */
export function componentOf(url: string, functionName: string): string | null {
  if (url.includes("/node_modules/") || url.includes("/npm/registry.npmjs.org/")) {
    if (/[/]openai[/@]/.test(url)) return "upstream client (openai SDK)";
    if (/[/]zod[/@]/.test(url)) return "body parsing and validation";
    return `npm: ${/registry\.npmjs\.org\/([^/]+)/.exec(url)?.[1] ?? "other"}`;
  }
  if (!url.startsWith("file://")) return null;
  const path = decodeURIComponent(new URL(url).pathname);
  if (!path.startsWith(ROOT)) return null;
  const file = path.slice(ROOT.length);
  if (file === "server/guards/request_log.ts" || file === "lib/stderr_line.ts") {
    return "logging (request log)";
  }
  if (file === "lib/encoding.ts" || file === "config/keys_file.ts") {
    return "hashing (key lookup, approval scope)";
  }
  if (file === "server/approvals.ts") return "approvals (scope, continuations)";
  if (file.startsWith("server/guards/")) return "guards";
  if (/^server\/(app|router|auth|keyring|client_address|request_target)\.ts$/.test(file)) {
    return "pipeline: routing, auth, request id";
  }
  if (/^server\/(body|chat_request)\.ts$/.test(file)) return "body parsing and validation";
  if (/^server\/(sse|chat_stream|chat_completions|error_envelope)\.ts$/.test(file)) {
    return "event rendering (Chat Completions)";
  }
  if (file.startsWith("server/responses/")) return "event rendering (Responses)";
  if (file === "server/turn_driver.ts" || file === "server/runs.ts") {
    return "turn driver and run tracking";
  }
  if (file === "agent/system_prompt.ts" || file.startsWith("agent/tools/")) {
    return "system prompt and tool specs";
  }
  // The SDK subclass is charged with the SDK (and so is the `fetch` it calls, as when the
  // SDK's own hooks called it); the request body is built on Herald's side.
  if (file === "agent/upstream_client.ts") return "upstream client (openai SDK)";
  if (file === "agent/request_body.ts") return "upstream client (Herald side)";
  if (file === "agent/llm_client.ts") {
    return SSE_READING.has(functionName) ? "upstream SSE parsing" : "upstream client (Herald side)";
  }
  if (file === "agent/stream_watchdog.ts") return "upstream SSE parsing";
  if (file.startsWith("agent/")) return "agent loop and events";
  if (file.startsWith("store/")) return "store (memory, sessions)";
  if (file.startsWith("lib/")) return "lib helpers";
  return file.split("/")[0] + "/";
}

/** Self time by component and by function over `[from, to]` (profile microseconds). */
export function summarise(
  profile: CpuProfile,
  window: { from: number; to: number },
  requests: number,
  top: number,
): { cpuUs: number; components: Share[]; functions: Share[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The component each node's samples go to, resolved once per node.
  const owner = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = owner.get(id);
    if (known) return known;
    const frame = byId.get(id)!.callFrame;
    let result: string;
    if (frame.functionName === "(garbage collector)") result = "GC";
    else if (frame.functionName === "(program)") result = "V8 and Deno native (program)";
    else {
      const own = componentOf(frame.url, frame.functionName);
      const up = parent.get(id);
      result = own ??
        (up === undefined || byId.get(up)!.callFrame.functionName === "(root)"
          ? "Deno runtime: HTTP server, fetch, streams, timers"
          : ownerOf(up));
    }
    owner.set(id, result);
    return result;
  };
  const components = new Map<string, number>();
  const functions = new Map<string, number>();
  let t = profile.startTime;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < window.from || t > window.to) continue;
    const id = profile.samples[i];
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") continue;
    // The time until the next sample is this sample's.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    busy += dt;
    components.set(ownerOf(id), (components.get(ownerOf(id)) ?? 0) + dt);
    const file = frame.url ? frame.url.replace(`file://${ROOT}`, "").replace(/^.*\/npm\//, "") : "";
    const name = `${frame.functionName || "(anonymous)"} ${file}${
      file ? `:${frame.lineNumber + 1}` : ""
    }`;
    functions.set(name, (functions.get(name) ?? 0) + dt);
  }
  const shares = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({
      name,
      us_per_request: round(us / requests, 1),
      percent: round((us / busy) * 100, 1),
    }));
  return {
    cpuUs: busy,
    components: shares(components),
    functions: shares(functions).slice(0, top),
  };
}

/**
 * What the load is: `plain` non-streamed requests, `stream` fast streams (100 tokens in batches of
 * 64), `paced` streams shaped like the 1,000-stream memory test (100 tokens, 2 per batch, 50 ms
 * apart), where the cost per network read of the upstream, not per request, dominates.
 */
export type ProfileMode = "plain" | "stream" | "paced";

async function load(
  mode: ProfileMode,
  target: Target,
  concurrency: number,
  ms: number,
): Promise<number> {
  const prompt = mode === "paced"
    ? benchPrompt({ tokens: 100, first: 0, interval: 50, batch: 2 })
    : benchPrompt({ tokens: mode === "plain" ? 20 : 100, first: 0, batch: 64 });
  const deadline = performance.now() + ms;
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      if (mode === "plain") {
        if (!await completeChat(target, prompt)) throw new Error("A request failed");
      } else {
        const r = await streamChat(target, prompt);
        if (!r.done) throw new Error("A stream ended early");
      }
      done++;
    }
  }));
  return done;
}

/** Profiles one path: a fresh gateway under `--cpu-prof`, loaded for `seconds`. */
export async function profilePath(
  upstream: string,
  mode: ProfileMode,
  options: {
    seconds: number;
    concurrency: number;
    top: number;
    keep?: string;
    /** Profile the bare proxy (bench/bare_proxy_server.ts) instead of the gateway. */
    proxy?: boolean;
    /** Profile the JavaScript relay (bench/js_relay_server.ts) instead of the gateway. */
    jsRelay?: boolean;
  },
): Promise<PathProfile> {
  const dir = options.keep ?? await Deno.makeTempDir({ prefix: "herald-prof-" });
  await Deno.mkdir(dir, { recursive: true });
  const before = new Set([...Deno.readDirSync(dir)].map((e) => e.name));
  const flags = ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=250"];
  let target: Target;
  let close: () => Promise<void>;
  let pid: number;
  if (options.proxy || options.jsRelay) {
    const proxy = await (options.jsRelay ? startJsRelay : startBareProxy)(upstream, flags);
    target = { baseUrl: proxy.baseUrl, model: "bench" };
    close = () => proxy.child.stop();
    pid = proxy.child.pid;
  } else {
    const gateway = await startGateway({
      upstream,
      configYaml: "api_server:\n  max_concurrent_runs: 1000\n",
      denoFlags: flags,
    });
    target = { baseUrl: `${gateway.url}/v1`, key: BENCH_KEY, model: "herald" };
    close = () => gateway.close();
    pid = gateway.child.pid;
  }
  let requests: number;
  let loadMs: number;
  let exitMs: number;
  let cpuMs: number;
  try {
    await load(mode, target, options.concurrency, 1500); // warm-up: JIT, SDK import, pools
    const cpu0 = processCpuMs(pid);
    const t0 = performance.now();
    requests = await load(mode, target, options.concurrency, options.seconds * 1000);
    const t1 = performance.now();
    cpuMs = processCpuMs(pid) - cpu0;
    loadMs = t1 - t0;
    await close();
    exitMs = performance.now() - t1;
  } catch (error) {
    await close();
    throw error;
  }
  const file = [...Deno.readDirSync(dir)].map((e) => e.name)
    .find((n) => n.endsWith(".cpuprofile") && !before.has(n));
  if (!file) throw new Error(`No .cpuprofile written in ${dir}`);
  const profile = JSON.parse(await Deno.readTextFile(join(dir, file))) as CpuProfile;
  if (!options.keep) await Deno.remove(dir, { recursive: true });
  // The profile ends when the process exits; the load window ended `exitMs` before that.
  const to = profile.endTime - exitMs * 1000;
  const summary = summarise(profile, { from: to - loadMs * 1000, to }, requests, options.top);
  const cpuUs = (cpuMs * 1000) / requests;
  const scale = (shares: Share[]) =>
    Number.isFinite(cpuUs)
      ? shares.map((s) => ({ ...s, us_per_request: round((s.percent / 100) * cpuUs, 1) }))
      : shares;
  return {
    mode,
    requests,
    seconds: round(loadMs / 1000, 2),
    requests_per_s: round(requests / (loadMs / 1000), 0),
    cpu_us_per_request: round(cpuUs, 1),
    sampled_us_per_request: round(summary.cpuUs / requests, 1),
    components: scale(summary.components),
    functions: scale(summary.functions),
  };
}

/** User + system CPU time of process `pid` so far, in milliseconds (NaN without /proc). */
function processCpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

const MODE_LABELS: Record<ProfileMode, string> = {
  plain: "Non-streamed",
  stream: "Streamed (100 tokens)",
  paced: "Paced streams (100 tokens, 2 every 50 ms)",
};

function print(p: PathProfile): void {
  console.log(
    `\n${MODE_LABELS[p.mode]}: ${p.requests} requests ` +
      `in ${p.seconds} s (${p.requests_per_s}/s), ${p.cpu_us_per_request} µs of process CPU each ` +
      `(${p.sampled_us_per_request} µs sampled on the main thread)`,
  );
  const table = (rows: Share[]) => {
    const w = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) {
      console.log(
        `  ${r.name.padEnd(w)}  ${String(r.us_per_request).padStart(8)} µs  ${
          String(r.percent).padStart(5)
        } %`,
      );
    }
  };
  console.log(
    "By component (share of the main thread's samples, charged to the nearest Herald or npm " +
      "frame, × the process CPU per request):",
  );
  table(p.components);
  console.log("Top functions (self time):");
  table(p.functions);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mode: { type: "string", default: "both" },
      seconds: { type: "string", default: "8" },
      concurrency: { type: "string", default: "20" },
      top: { type: "string", default: "25" },
      keep: { type: "string" },
      json: { type: "string" },
      proxy: { type: "boolean", default: false },
      "js-relay": { type: "boolean", default: false },
    },
  });
  const modes = values.mode === "both" ? ["plain", "stream"] as const : [values.mode];
  const upstream = await startUpstream();
  const results: PathProfile[] = [];
  try {
    for (const mode of modes) {
      if (mode !== "plain" && mode !== "stream" && mode !== "paced") {
        throw new Error(`Unknown --mode ${mode}`);
      }
      const p = await profilePath(upstream.baseUrl, mode, {
        seconds: Number(values.seconds),
        concurrency: Number(values.concurrency),
        top: Number(values.top),
        keep: values.keep,
        proxy: values.proxy,
        jsRelay: values["js-relay"],
      });
      results.push(p);
      print(p);
    }
  } finally {
    await upstream.child.stop();
  }
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(results, null, 2) + "\n");
}
