/**
 * Child processes the benchmarks drive: the fake upstream, the bare-proxy baseline, the fake Bot
 * API and Herald itself (from source or from a bundle), each in its own process (Herald with its
 * own temp HERALD_HOME), plus reading a process's resident memory from /proc.
 * @module
 */
import { join } from "node:path";
import { HERALD_RUN_FLAGS } from "../cli/runtime_flags.ts";

/** The key every bench gateway accepts. */
export const BENCH_KEY = "bench-key-0123456789abcdef";

const ROOT = new URL("..", import.meta.url).pathname;
// The same flags as `deno task start`; HERALD_BENCH_V8_FLAGS adds V8 flags (after Herald's own,
// so a flag given again wins) and HERALD_BENCH_DENO_FLAGS other `deno run` flags
// (space-separated) to try.
const DENO_FLAGS = [
  "run",
  "-A",
  ...HERALD_RUN_FLAGS,
  ...(Deno.env.get("HERALD_BENCH_V8_FLAGS")
    ? [`--v8-flags=${Deno.env.get("HERALD_BENCH_V8_FLAGS")}`]
    : []),
  ...(Deno.env.get("HERALD_BENCH_DENO_FLAGS")?.split(" ").filter(Boolean) ?? []),
];

/** A child process whose stdout lines are collected and awaitable. */
export class Child {
  readonly lines: string[] = [];
  readonly process: Deno.ChildProcess;
  readonly startedAt: number;
  #watchers = new Set<() => void>();
  #reading: Promise<void>;

  constructor(command: Deno.Command) {
    this.startedAt = performance.now();
    this.process = command.spawn();
    this.#reading = this.#read();
  }

  /** The process id. */
  get pid(): number {
    return this.process.pid;
  }

  /** Resolves with the first stdout line matching `pattern`; rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const line of this.lines) {
          const m = pattern.exec(line);
          if (m) {
            this.#watchers.delete(check);
            clearTimeout(timer);
            resolve(m);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.#watchers.delete(check);
        reject(
          new Error(
            `No output line matching ${pattern} within ${timeoutMs} ms:\n${this.lines.join("\n")}`,
          ),
        );
      }, timeoutMs);
      this.#watchers.add(check);
      check();
    });
  }

  /** Sends SIGTERM and waits for the exit (SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    try {
      this.process.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        this.process.kill("SIGKILL");
      } catch { /* already gone */ }
    }, graceMs);
    await this.process.status;
    clearTimeout(timer);
    await this.#reading;
  }

  async #read(): Promise<void> {
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.process.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      if (parts.length === 0) continue;
      this.lines.push(...parts);
      for (const w of [...this.#watchers]) w();
    }
  }
}

/** The environment a child gets: only what Deno itself needs, plus `extra`. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * Starts one of the bench's helper servers (`script`, relative to the repository) in its own
 * process with a clean environment; it prints a `listening …` line the caller waits for.
 */
function startBenchServer(script: string, args: string[] = [], denoFlags: string[] = []): Child {
  return new Child(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...denoFlags, join(ROOT, script), ...args],
      env: childEnv({}),
      clearEnv: true,
      stdout: "piped",
      stderr: "inherit",
    }),
  );
}

/** A running fake upstream. */
export interface Upstream {
  child: Child;
  /** The OpenAI base URL, ending in /v1. */
  baseUrl: string;
}

/** Starts bench/fake_upstream_server.ts in its own process. */
export async function startUpstream(): Promise<Upstream> {
  const child = startBenchServer("bench/fake_upstream_server.ts");
  const [, port] = await child.waitForLine(/^listening (\d+)/);
  return { child, baseUrl: `http://127.0.0.1:${port}/v1` };
}

/** A running bare-proxy baseline (bench/bare_proxy_server.ts). */
export interface BareProxy {
  child: Child;
  /** The OpenAI base URL through the proxy, ending in /v1. */
  baseUrl: string;
}

/**
 * Starts the bare Deno proxy in front of `upstream` (a base URL ending in /v1), in its own
 * process, with extra `deno run` flags (e.g. `--cpu-prof`) if given.
 */
export function startBareProxy(upstream: string, denoFlags: string[] = []): Promise<BareProxy> {
  return startBaseline("bench/bare_proxy_server.ts", upstream, denoFlags);
}

/**
 * Starts the JavaScript-relay baseline (bench/js_relay_server.ts) in front of `upstream`, in its
 * own process: what a Deno relay that reads the stream in JavaScript costs at the least.
 */
export function startJsRelay(upstream: string, denoFlags: string[] = []): Promise<BareProxy> {
  return startBaseline("bench/js_relay_server.ts", upstream, denoFlags);
}

/** Starts a baseline server script (`--upstream URL`, prints `listening <port>`). */
async function startBaseline(
  script: string,
  upstream: string,
  denoFlags: string[],
): Promise<BareProxy> {
  const child = startBenchServer(script, ["--upstream", upstream], [
    "--unstable-no-legacy-abort",
    ...denoFlags,
  ]);
  const [, port] = await child.waitForLine(/^listening (\d+)/);
  return { child, baseUrl: `http://127.0.0.1:${port}/v1` };
}

/** A running fake Bot API. */
export interface BotApi {
  child: Child;
  apiRoot: string;
  token: string;
}

/** Starts bench/fake_bot_api_server.ts (the test fake) in its own process. */
export async function startBotApi(): Promise<BotApi> {
  const child = startBenchServer("bench/fake_bot_api_server.ts");
  const [, root, token] = await child.waitForLine(/^listening (\S+) (\S+)/);
  return { child, apiRoot: root, token };
}

/** The fake Discord and Slack, in their own process. */
export interface ChatFakes {
  child: Child;
  discord: { apiRoot: string; token: string };
  slack: { apiRoot: string; botToken: string; appToken: string };
}

/** Starts bench/fake_chat_servers.ts (the test fakes) in its own process. */
export async function startChatFakes(): Promise<ChatFakes> {
  const child = startBenchServer("bench/fake_chat_servers.ts");
  const [, dRoot, dToken, sRoot, sBot, sApp] = await child.waitForLine(
    /^listening (\S+) (\S+) (\S+) (\S+) (\S+)/,
  );
  return {
    child,
    discord: { apiRoot: dRoot, token: dToken },
    slack: { apiRoot: sRoot, botToken: sBot, appToken: sApp },
  };
}

/** Returns a port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Options for {@link spawnGateway}. */
export interface GatewayOptions {
  upstream: string;
  /** The script to run: main.ts (default) or a bundle. */
  entry?: string;
  /** Extra environment, e.g. the Telegram settings. */
  env?: Record<string, string>;
  /** Lines for config.yaml in the temp HERALD_HOME. */
  configYaml?: string;
  /** Extra `deno run` flags, e.g. `--cpu-prof` (bench/profile.ts). */
  denoFlags?: string[];
}

/** A gateway child process. */
export interface GatewayProcess {
  child: Child;
  url: string;
  home: string;
  /** Stops the process and removes its HERALD_HOME. */
  close(): Promise<void>;
}

/** Spawns `herald serve` with a fresh HERALD_HOME on a free port; does not wait for it. */
export async function spawnGateway(options: GatewayOptions): Promise<GatewayProcess> {
  const home = await Deno.makeTempDir({ prefix: "herald-bench-" });
  if (options.configYaml) await Deno.writeTextFile(join(home, "config.yaml"), options.configYaml);
  const port = freePort();
  const child = new Child(
    new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_FLAGS,
        ...options.denoFlags ?? [],
        options.entry ?? join(ROOT, "main.ts"),
        "serve",
      ],
      cwd: home,
      env: childEnv({
        HERALD_HOME: home,
        API_SERVER_PORT: String(port),
        API_SERVER_KEY: BENCH_KEY,
        OPENAI_BASE_URL: options.upstream,
        HERALD_MODEL: "bench",
        ...options.env,
      }),
      clearEnv: true,
      stdout: "piped",
      // One log line per request: written, as in production, but not shown.
      stderr: "null",
    }),
  );
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    home,
    async close() {
      await child.stop();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

/** Polls `GET /health` until it answers 200; returns ms since the process was spawned. */
export async function waitForHealth(gateway: GatewayProcess, timeoutMs = 120_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(`${gateway.url}/health`);
      await res.body?.cancel();
      if (res.ok) return performance.now() - gateway.child.startedAt;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`The gateway did not answer /health within ${timeoutMs} ms`);
}

/** Starts a gateway and waits until it answers. */
export async function startGateway(options: GatewayOptions): Promise<GatewayProcess> {
  const gateway = await spawnGateway(options);
  try {
    await waitForHealth(gateway);
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}

/** Resident memory of a process in MB (VmRSS), or NaN where /proc is unavailable. */
export function rssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Peak resident memory of a process in MB (VmHWM; workers are threads, so included). */
export function peakRssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
