/**
 * The sandbox's cost: the time one terminal call and one file-tool call take with the sandbox
 * (bubblewrap) and without it (`tools.sandbox: off`, same code path otherwise), p50 and p99; the
 * file tools with a sandboxed helper per call against the turn's one reused helper; the
 * classifier on adversarial 64 KB commands; and `/health` latency of a whole gateway while a
 * sandboxed command burns every core.
 * @module
 */
import { join } from "node:path";
import {
  CommandClassifier,
  MAX_KEPT_FILE_HELPERS,
  readFileTool,
  terminalTool,
  type ToolContext,
  ToolRegistry,
  TurnResources,
  writeFileTool,
} from "../agent/mod.ts";
import { ConfigSchema, loadConfig } from "../config/mod.ts";
import { startGateway } from "../gateway/mod.ts";
import { quantile, round } from "./stats.ts";

/** How much to measure. */
export interface SandboxBenchOptions {
  /** Calls per tool and mode. */
  calls: number;
  /** Seconds the CPU burner runs while /health is polled. */
  burnSeconds: number;
}

/** p50 and p99 of one series, in ms. */
interface Percentiles {
  p50_ms: number;
  p99_ms: number;
}

function percentiles(samples: number[]): Percentiles {
  return { p50_ms: round(quantile(samples, 0.5), 1), p99_ms: round(quantile(samples, 0.99), 1) };
}

async function timeCalls(
  registry: ToolRegistry,
  name: string,
  args: (i: number) => string,
  workspace: string,
  calls: number,
  turn?: TurnResources,
): Promise<number[]> {
  const context: ToolContext = {
    signal: new AbortController().signal,
    workspace,
    platform: "cli",
    ...(turn ? { turn } : {}),
  };
  await registry.call(name, args(-1), context); // warm-up: detection, first spawn
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const result = await registry.call(name, args(i), context);
    samples.push(performance.now() - t0);
    if (result.isError) throw new Error(`${name} failed: ${result.output}`);
  }
  return samples;
}

/** Per-call cost of each tool with and without the sandbox. */
async function perCall(calls: number) {
  const workspace = await Deno.realPath(await Deno.makeTempDir({ prefix: "herald_bench_sbx_" }));
  try {
    await Deno.writeTextFile(join(workspace, "file.txt"), "line\n".repeat(200));
    const out: Record<string, unknown> = {};
    for (const tool of ["terminal", "read_file", "write_file"] as const) {
      const series: Record<string, number[]> = {};
      for (const sandbox of ["off", "workspace-write"] as const) {
        const config = ConfigSchema.parse({ tools: { sandbox } });
        const registry = new ToolRegistry()
          .register(terminalTool(config.tools))
          .register(readFileTool(config.tools))
          .register(writeFileTool(config.tools));
        const args = tool === "terminal"
          ? () => '{"command":"true"}'
          : tool === "read_file"
          ? () => '{"path":"file.txt","limit":50}'
          : (i: number) => JSON.stringify({ path: `out/${i}.txt`, content: "x\n".repeat(100) });
        series[sandbox] = await timeCalls(registry, tool, args, workspace, calls);
      }
      const off = percentiles(series.off);
      const on = percentiles(series["workspace-write"]);
      out[tool] = {
        unsandboxed: off,
        sandboxed: on,
        added_p50_ms: round(on.p50_ms - off.p50_ms, 1),
        added_p99_ms: round(on.p99_ms - off.p99_ms, 1),
      };
    }
    return out;
  } finally {
    await Deno.remove(workspace, { recursive: true });
  }
}

/** Resident memory of a process and its descendants, in MiB (Linux; 0 elsewhere). */
async function treeRssMb(pid: number): Promise<number> {
  let kib = 0;
  const visit = async (p: number) => {
    const status = await Deno.readTextFile(`/proc/${p}/status`).catch(() => "");
    kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const children = await Deno.readTextFile(`/proc/${p}/task/${p}/children`).catch(() => "");
    for (const child of children.trim().split(/\s+/).filter(Boolean)) await visit(Number(child));
  };
  await visit(pid);
  return round(kib / 1024, 1);
}

/** The pids of this process's children running the file helper. */
async function helperPids(): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== Deno.pid) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.includes("fileHelperMain")) pids.push(Number(entry.name));
  }
  return pids;
}

/**
 * read_file and write_file through the real sandbox: a fresh helper per call (a call outside
 * any turn; what every call cost before helpers were kept per turn) against the turn's helper,
 * reused; and a whole turn of ten reads both ways.
 */
async function fileTools(calls: number) {
  const workspace = await Deno.realPath(await Deno.makeTempDir({ prefix: "herald_bench_ft_" }));
  try {
    await Deno.writeTextFile(join(workspace, "file.txt"), "line\n".repeat(200));
    const config = ConfigSchema.parse({ tools: { sandbox: "workspace-write" } });
    const registry = new ToolRegistry()
      .register(readFileTool(config.tools))
      .register(writeFileTool(config.tools));
    const read = () => '{"path":"file.txt","limit":50}';
    const write = (i: number) =>
      JSON.stringify({ path: `out/${i}.txt`, content: "x\n".repeat(100) });
    const out: Record<string, unknown> = { kept_helpers_cap: MAX_KEPT_FILE_HELPERS };
    for (const [tool, args] of [["read_file", read], ["write_file", write]] as const) {
      const perCall = await timeCalls(registry, tool, args, workspace, calls);
      await using turn = new TurnResources();
      const perTurn = await timeCalls(registry, tool, args, workspace, calls, turn);
      const before = percentiles(perCall);
      const after = percentiles(perTurn);
      out[tool] = {
        helper_per_call: before,
        helper_per_turn: after,
        speedup_p50: round(before.p50_ms / Math.max(after.p50_ms, 0.01), 1),
      };
    }
    const turns = Math.max(1, Math.round(calls / 10));
    const turnOfReads = async (kept: boolean) => {
      const samples: number[] = [];
      for (let t = 0; t < turns; t++) {
        const turn = kept ? new TurnResources() : undefined;
        const t0 = performance.now();
        await timeCalls(registry, "read_file", read, workspace, 9, turn); // 1 warm-up + 9 = 10
        samples.push(performance.now() - t0);
        await turn?.close();
      }
      return percentiles(samples);
    };
    out.turn_of_10_reads = {
      helper_per_call: await turnOfReads(false),
      helper_per_turn: await turnOfReads(true),
    };
    // What a kept helper costs while it waits: its resident memory (bwrap and deno).
    await using turn = new TurnResources();
    await timeCalls(registry, "read_file", read, workspace, 1, turn);
    const [pid] = await helperPids();
    out.kept_helper_rss_mb = pid ? await treeRssMb(pid) : null;
    return out;
  } finally {
    await Deno.remove(workspace, { recursive: true });
  }
}

/** The classifier's worst case: adversarial inputs just under the 64 KB limit. */
function classifierWorstCase() {
  const classifier = new CommandClassifier({ home: "/home/ada" });
  const inputs = {
    "curl ×13000": "curl ".repeat(13_000),
    "quotes ×65000": "'".repeat(65_000) + "x",
    "flag -ccc…": "-" + "c".repeat(65_000) + "X",
    "> spaces": ">" + " ".repeat(65_000),
    "a(){ ×13000": "a(){ ".repeat(13_000),
  };
  const ms: Record<string, number> = {};
  for (const [name, command] of Object.entries(inputs)) {
    const t0 = performance.now();
    classifier.classify(command);
    ms[name] = round(performance.now() - t0, 1);
  }
  return ms;
}

/** A fake upstream whose first answer asks for one terminal call; later answers are text. */
function scriptedUpstream(command: string): { url: string; close(): Promise<void> } {
  let calls = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    // Herald asks for a stream when its client did, and for a whole answer otherwise.
    const { stream } = await req.json() as { stream?: boolean };
    const first = calls++ === 0;
    const delta = first
      ? {
        role: "assistant",
        tool_calls: [{
          index: 0,
          id: "call_burn",
          type: "function",
          function: { name: "terminal", arguments: JSON.stringify({ command, timeout: 60 }) },
        }],
      }
      : { role: "assistant", content: "done" };
    const chunk = (d: unknown, finish: string | null) =>
      `data: ${
        JSON.stringify({
          id: "c",
          object: "chat.completion.chunk",
          created: 0,
          model: "bench",
          choices: [{ index: 0, delta: d, finish_reason: finish }],
        })
      }\n\n`;
    if (!stream) {
      const { role, ...rest } = delta;
      return Response.json({
        id: "c",
        object: "chat.completion",
        created: 0,
        model: "bench",
        choices: [{
          index: 0,
          message: { role, content: null, ...rest },
          finish_reason: first ? "tool_calls" : "stop",
        }],
      });
    }
    const body = chunk(delta, null) + chunk({}, first ? "tool_calls" : "stop") + "data: [DONE]\n\n";
    return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    close: () => server.shutdown(),
  };
}

/** /health latency of a whole gateway, idle and while a sandboxed command burns every core. */
async function healthUnderLoad(burnSeconds: number) {
  const cores = navigator.hardwareConcurrency;
  const marker = `burn-${crypto.randomUUID().slice(0, 8)}`;
  const command =
    `for i in $(seq ${cores}); do (timeout ${burnSeconds} sh -c 'while :; do :; done') & done; ` +
    `wait # ${marker}`;
  const upstream = scriptedUpstream(command);
  const home = await Deno.makeTempDir({ prefix: "herald_bench_health_" });
  await Deno.mkdir(join(home, "workspace"));
  await Deno.writeTextFile(join(home, "config.yaml"), "llm:\n  max_retries: 0\n");
  const resolved = await loadConfig({
    env: {
      HERALD_HOME: home,
      HERALD_WORKSPACE: join(home, "workspace"),
      OPENAI_BASE_URL: upstream.url,
      HERALD_MODEL: "bench",
      API_SERVER_PORT: "0",
      API_SERVER_KEY: "bench-key-0123456789abcdef",
      HERALD_APPROVALS: "never",
    },
    cwd: home,
  });
  const gateway = await startGateway(resolved, {
    log: () => {},
    requestLog: () => {},
    handleSignals: false,
  });
  const health = async () => {
    const t0 = performance.now();
    const response = await fetch(`${gateway.url}/health`);
    await response.body?.cancel();
    return performance.now() - t0;
  };
  try {
    const idle: number[] = [];
    for (let i = 0; i < 50; i++) idle.push(await health());
    const turn = fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        Authorization: "Bearer bench-key-0123456789abcdef",
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ model: "herald", messages: [{ role: "user", content: "burn" }] }),
    });
    // Wait until the burners run, then poll /health until the turn ends.
    const busy: number[] = [];
    let done = false;
    const finished = turn.then(async (r) => {
      const text = await r.text();
      done = true;
      if (!r.ok) throw new Error(`the burning turn failed: ${r.status} ${text}`);
    });
    await new Promise((r) => setTimeout(r, 500));
    while (!done) {
      busy.push(await health());
      await new Promise((r) => setTimeout(r, 20));
    }
    await finished;
    // A turn that ended before the first poll ran no burner: say so rather than report nothing.
    if (busy.length === 0) throw new Error("the burning turn ended before /health was polled");
    return {
      cores,
      burn_seconds: burnSeconds,
      idle: percentiles(idle),
      while_burning: {
        ...percentiles(busy),
        max_ms: round(Math.max(...busy), 1),
        samples: busy.length,
      },
    };
  } finally {
    await gateway.shutdown();
    await gateway.finished;
    await upstream.close();
    await Deno.remove(home, { recursive: true });
  }
}

/** Runs the sandbox benchmarks. */
export async function benchSandbox(options: SandboxBenchOptions) {
  return {
    per_call: await perCall(options.calls),
    file_tools: await fileTools(options.calls),
    classifier_worst_case_ms: classifierWorstCase(),
    health: await healthUnderLoad(options.burnSeconds),
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchSandbox({ calls: 100, burnSeconds: 5 }), null, 2));
}
