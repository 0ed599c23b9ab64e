/**
 * Where the memory of open streams goes: a diagnostic, not part of `deno task bench`. Starts the
 * fake upstream and a gateway with the V8 inspector on a loopback port, opens N paced streams at
 * once, and while every one of them is open reads the gateway's `Deno.memoryUsage()`, V8's heap
 * spaces and (with `--snapshot`) a heap snapshot summed by constructor, each compared with the
 * same gateway idle after a warm-up. Prints bytes per open stream by component.
 *
 * Run:
 * `deno run -A --unstable-kv --unstable-worker-options --unstable-no-legacy-abort bench/stream_memory.ts [--streams 1000] [--tokens 400] [--interval 50] [--snapshot | --rss-only | --gc]`
 * (HERALD_BENCH_V8_FLAGS and HERALD_BENCH_DENO_FLAGS pass V8 and `deno run` flags to the gateway,
 * as for the bench.)
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchPrompt } from "./fake_upstream_server.ts";
import { BENCH_KEY, freePort, rssMb, startGateway, startUpstream } from "./processes.ts";
import { round } from "./stats.ts";

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
class Inspector {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #listeners = new Map<string, (params: Record<string, unknown>) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data as string);
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(JSON.stringify(msg.error)));
        else p?.resolve(msg.result);
      } else this.#listeners.get(msg.method)?.(msg.params);
    };
  }

  /** Connects to the first target the inspector at `port` lists. */
  static async connect(port: number): Promise<Inspector> {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const ws = new WebSocket(list[0].webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Inspector(ws);
  }

  send<T = Record<string, unknown>>(method: string, params: object = {}): Promise<T> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) =>
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    );
  }

  on(method: string, listener: (params: Record<string, unknown>) => void): void {
    this.#listeners.set(method, listener);
  }

  /** Evaluates `expression` (a promise is awaited) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    // The promise is held by a global while awaited: an unreferenced one can be collected.
    const held = `globalThis.__benchEval = (${expression}); undefined`;
    await this.send("Runtime.evaluate", { expression: held });
    const r = await this.send<{ result: { value: T }; exceptionDetails?: unknown }>(
      "Runtime.evaluate",
      { expression: "globalThis.__benchEval", awaitPromise: true, returnByValue: true },
    );
    if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
    return r.result.value;
  }

  close(): void {
    this.#ws.close();
  }
}

interface Memory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  /** V8 heap spaces: name → bytes committed (physical). */
  spaces: Record<string, number>;
}

const MEMORY_EXPRESSION = `(async () => {
  const v8 = await import("node:v8");
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.physical_space_size;
  return { ...Deno.memoryUsage(), spaces };
})()`;

/** Self size summed by `type:name`, with counts. */
type HeapSummary = Map<string, { count: number; bytes: number }>;

async function heapSummary(inspector: Inspector, save?: string): Promise<HeapSummary> {
  let json = "";
  inspector.on("HeapProfiler.addHeapSnapshotChunk", (p) => (json += p.chunk as string));
  await inspector.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  // Loadable in Chrome DevTools' Memory tab.
  if (save) await Deno.writeTextFile(save, json);
  const snapshot = JSON.parse(json);
  json = "";
  const fields: string[] = snapshot.snapshot.meta.node_fields;
  const types: string[] = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const nodes: number[] = snapshot.nodes;
  const strings: string[] = snapshot.strings;
  const summary: HeapSummary = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    let name = type === "string" || type === "concatenated string" || type === "sliced string"
      ? "(strings)"
      : strings[nodes[i + nameAt]];
    if (name.length > 60) name = name.slice(0, 57) + "...";
    // Array buffer backing stores by size: which buffer they are shows in the size.
    if (name.endsWith("JSArrayBufferData")) name += ` ${nodes[i + sizeAt]} B`;
    const key = `${type}:${name}`;
    const entry = summary.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt];
    summary.set(key, entry);
  }
  return summary;
}

/** Reads one streamed chat completion to its end; `onFirst` fires at its first content delta. */
async function stream(url: string, prompt: string, onFirst: () => void): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${BENCH_KEY}` },
    body: JSON.stringify({
      model: "herald",
      stream: true,
      messages: [{ role: "user", content: prompt }],
    }),
  });
  if (!res.ok || !res.body) throw new Error(`status ${res.status}`);
  const decoder = new TextDecoder();
  let tokens = 0;
  let tail = "";
  for await (const bytes of res.body) {
    const text = tail + decoder.decode(bytes, { stream: true });
    const before = tokens;
    tokens += text.split('"delta":{"content":"').length - 1;
    tail = text.slice(-24);
    tokens -= tail.split('"delta":{"content":"').length - 1;
    if (before === 0 && tokens > 0) onFirst();
  }
  return tokens + tail.split('"delta":{"content":"').length - 1;
}

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      streams: { type: "string", default: "1000" },
      tokens: { type: "string", default: "400" },
      interval: { type: "string", default: "50" },
      snapshot: { type: "boolean", default: false },
      /** No inspector at all: resident memory only (the inspector may change what it measures). */
      "rss-only": { type: "boolean", default: false },
      /** Another script to measure in the gateway's place (e.g. a bare proxy), run as `entry serve`. */
      entry: { type: "string" },
      /** Also write the heap snapshot taken with the streams open to this file. */
      save: { type: "string" },
      /**
       * V8's account of the collections while the streams ran (`--trace-gc-nvp`): scavenges,
       * full collections, bytes promoted, the heap's high-water mark. Implies `--rss-only`.
       */
      gc: { type: "boolean", default: false },
    },
  });
  const n = Number(values.streams);
  const tokens = Number(values.tokens);
  const gcTrace = values.gc!;
  const rssOnly = values["rss-only"]! || gcTrace;
  const upstream = await startUpstream();
  const port = freePort();
  const gateway = await startGateway({
    upstream: upstream.baseUrl,
    configYaml: `api_server:\n  max_concurrent_runs: ${n + 100}\n`,
    denoFlags: gcTrace
      ? ["--v8-flags=--trace-gc-nvp"]
      : rssOnly
      ? []
      : [`--inspect=127.0.0.1:${port}`],
    // The gateway runs in its temporary home: a relative path is the caller's.
    entry: values.entry && resolve(values.entry),
  });
  // The inspector is attached for the first time once every stream is open, and the idle
  // figures are read after they all ended: from the first attach on, Deno tees every fetch body
  // (to show it in DevTools), which would add a 64 KiB buffer to each upstream stream.
  const withInspector = async <T>(read: (i: Inspector) => Promise<T>): Promise<T | undefined> => {
    if (rssOnly) return undefined;
    const inspector = await Inspector.connect(port);
    try {
      return await read(inspector);
    } finally {
      inspector.close();
    }
  };
  try {
    const pid = gateway.child.pid;
    const warm = benchPrompt({ tokens: 20, first: 0, interval: 1, batch: 2 });
    for (let i = 0; i < 20; i++) await stream(gateway.url, warm, () => {});
    const idleRss = rssMb(pid);

    const gcFrom = gateway.child.lines.length;
    let peak = rssMb(pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 25);
    let opened = 0;
    let allOpen!: () => void;
    const allOpened = new Promise<void>((r) => (allOpen = r));
    const prompt = benchPrompt({
      tokens,
      first: 0,
      interval: Number(values.interval),
      batch: 2,
    });
    const started = performance.now();
    // A stream that fails before its first token counts as opened: it will not open later.
    let settledEarly = 0;
    const runs = Array.from({ length: n }, () => {
      let first = false;
      return stream(gateway.url, prompt, () => {
        first = true;
        if (++opened + settledEarly === n) allOpen();
      }).then((t) => t === tokens, () => false).finally(() => {
        if (!first && ++settledEarly + opened === n) allOpen();
      });
    });
    await allOpened;
    const openedMs = performance.now() - started;
    // What the streams cost, before the inspector adds its own.
    const openRss = rssMb(pid);
    const peakOpen = Math.max(peak, openRss);
    const during = await withInspector(async (inspector) => {
      const memory = await inspector.evaluate<Memory>(MEMORY_EXPRESSION);
      await inspector.send("HeapProfiler.collectGarbage");
      const live = await inspector.evaluate<Memory>(MEMORY_EXPRESSION);
      const heap = values.snapshot ? await heapSummary(inspector, values.save) : undefined;
      return { memory, live, heap };
    });
    const completed = (await Promise.all(runs)).filter(Boolean).length;
    const wall = performance.now() - started;
    clearInterval(sampler);
    const before = await withInspector(async (inspector) => {
      await inspector.send("HeapProfiler.collectGarbage");
      const memory = await inspector.evaluate<Memory>(MEMORY_EXPRESSION);
      return { memory, heap: values.snapshot ? await heapSummary(inspector) : undefined };
    });

    const per = (a: number, b: number) => round((b - a) / n, 0);
    console.log(`load: ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    if (settledEarly) console.log(`${settledEarly} streams ended before their first token`);
    console.log(
      `${completed}/${n} streams completed in ${round(wall / 1000, 2)} s ` +
        `(all open after ${round(openedMs, 0)} ms); peak RSS ${round(peak, 1)} MB ` +
        `(${round(peakOpen, 1)} MB until all were open)`,
    );
    console.log("\n| measure | idle (MB) | N open (MB) | bytes per open stream |");
    // "idle": RSS before the streams; the inspector's figures after they all ended and a GC.
    console.log("| --- | --- | --- | --- |");
    const row = (name: string, a: number, b: number) =>
      console.log(`| ${name} | ${round(a / MB, 1)} | ${round(b / MB, 1)} | ${per(a, b)} |`);
    row("RSS (/proc, inspector detached)", idleRss * MB, openRss * MB);
    if (gcTrace) printGcTrace(gateway.child.lines.slice(gcFrom));
    if (!before || !during) return;
    const idle = before.memory;
    const open = during.memory;
    row("RSS", idle.rss, open.rss);
    row("V8 heap committed", idle.heapTotal, open.heapTotal);
    row("V8 heap used", idle.heapUsed, open.heapUsed);
    row("V8 heap used after GC (live)", idle.heapUsed, during.live.heapUsed);
    row("external (array buffers…)", idle.external, open.external);
    row("RSS outside the V8 heap", idle.rss - idle.heapTotal, open.rss - open.heapTotal);
    for (const space of Object.keys(open.spaces)) {
      if (open.spaces[space]) row(`  space ${space}`, idle.spaces[space] ?? 0, open.spaces[space]);
    }
    if (before.heap && during.heap) {
      const idleHeap = before.heap;
      const rows = [...during.heap].map(([key, v]) => {
        const was = idleHeap.get(key) ?? { count: 0, bytes: 0 };
        return { key, count: v.count - was.count, bytes: v.bytes - was.bytes };
      }).sort((a, b) => b.bytes - a.bytes).slice(0, 40);
      console.log("\n| live object (type:name) | added count | added bytes | bytes per stream |");
      console.log("| --- | --- | --- | --- |");
      for (const r of rows) {
        console.log(
          `| ${r.key.replaceAll("|", "\\|")} | ${r.count} | ${r.bytes} | ${
            round(r.bytes / n, 0)
          } |`,
        );
      }
    }
  } finally {
    await gateway.close();
    await upstream.child.stop();
  }
}

/** Sums V8's `--trace-gc-nvp` lines (one JSON object per collection) written while the streams ran. */
function printGcTrace(lines: string[]): void {
  let scavenges = 0;
  let full = 0;
  let promoted = 0;
  let highWater = 0;
  let young = 0;
  let oldLimit = 0;
  for (const line of lines) {
    const at = line.indexOf("GC: {");
    if (at < 0) continue;
    let gc: Record<string, number | string>;
    try {
      gc = JSON.parse(line.slice(at + 4));
    } catch {
      continue;
    }
    if (gc.gc === "s") {
      scavenges++;
      promoted += Number(gc.promoted ?? 0);
    } else full++;
    highWater = Math.max(highWater, Number(gc.start_memory_size), Number(gc.end_memory_size));
    young = Math.max(young, Number(gc.new_space_capacity ?? 0));
    oldLimit = Number(gc.old_gen_allocation_limit ?? oldLimit);
  }
  console.log(
    `\nGC while the streams ran: ${scavenges} scavenges, ${full} full collections; ` +
      `${round(promoted / MB, 1)} MB promoted to the old generation; heap high-water mark ` +
      `${round(highWater / MB, 1)} MB; young generation capacity ${round(young / MB, 1)} MB; ` +
      `old-generation limit ${round(oldLimit / MB, 1)} MB`,
  );
}

if (import.meta.main) await main();
