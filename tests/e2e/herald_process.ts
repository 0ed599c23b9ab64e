/**
 * Runs the real `main.ts serve` as a child process for whole-process tests: a temp HERALD_HOME,
 * a free port, the fake upstream's base URL, and the rest of the environment scrubbed of Herald
 * settings so the developer's own configuration cannot leak in.
 * @module
 */
import { join } from "node:path";
import { HERALD_RUN_FLAGS } from "../../cli/runtime_flags.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A key strong enough for the key policy. */
export const E2E_KEY = "e2e-9c41f7a2b85d3e60";

// Settings the loader reads from the environment (config/schema.ts); none may come from the
// developer's shell.
const SCRUB = /^(API_SERVER_|HERALD_|HERMES_|OPENAI_|LLM_|TELEGRAM_)/;

/** Options for {@link HeraldProcess.start}. */
export interface HeraldStartOptions {
  /** HERALD_HOME; a new temp dir when absent (removed by `dispose()`). */
  home?: string;
  /** Extra environment (overrides the defaults below). */
  env?: Record<string, string>;
  /** Written to $HERALD_HOME/config.yaml when given. */
  configYaml?: string;
  /** Resolve once the banner is printed (default true); false for processes that refuse to start. */
  waitForBanner?: boolean;
}

/** Picks a free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running (or finished) Herald child process. */
export class HeraldProcess {
  /** Everything the process wrote to stdout so far. */
  stdout = "";
  /** Everything the process wrote to stderr so far. */
  stderr = "";
  readonly #child: Deno.ChildProcess;
  readonly #pumps: Promise<void>;
  readonly #ownsHome: boolean;
  #waiters: Array<() => void> = [];

  private constructor(
    child: Deno.ChildProcess,
    readonly home: string,
    readonly port: number,
    ownsHome: boolean,
  ) {
    this.#child = child;
    this.#ownsHome = ownsHome;
    this.#pumps = Promise.all([
      this.#pump(child.stdout, (t) => this.stdout += t),
      this.#pump(child.stderr, (t) => this.stderr += t),
    ]).then(() => {});
  }

  /** Starts `main.ts serve`; resolves once the banner is out (or at once when told not to wait). */
  static async start(upstream: string, options: HeraldStartOptions = {}): Promise<HeraldProcess> {
    const ownsHome = options.home === undefined;
    const home = options.home ?? await Deno.makeTempDir({ prefix: "herald_e2e_" });
    const workspace = join(home, "workspace");
    await Deno.mkdir(workspace, { recursive: true });
    if (options.configYaml !== undefined) {
      await Deno.writeTextFile(join(home, "config.yaml"), options.configYaml);
    }
    const port = freePort();
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(Deno.env.toObject())) {
      if (!SCRUB.test(name)) env[name] = value;
    }
    Object.assign(env, {
      HERALD_HOME: home,
      HERALD_WORKSPACE: workspace,
      API_SERVER_KEY: E2E_KEY,
      API_SERVER_PORT: String(port),
      OPENAI_BASE_URL: upstream,
      OPENAI_API_KEY: "sk-e2e-upstream-secret-0000",
      HERALD_MODEL: "fake-model",
      NO_COLOR: "1",
    }, options.env ?? {});
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...HERALD_RUN_FLAGS,
        MAIN,
        "serve",
      ],
      cwd: workspace,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const herald = new HeraldProcess(child, home, port, ownsHome);
    if (options.waitForBanner !== false) {
      const ready = await herald.waitFor(() => /API\s+http:\/\//.test(herald.stdout));
      if (!ready) {
        await herald.kill();
        throw new Error(
          `Herald did not print its banner.\nstdout:\n${herald.stdout}\nstderr:\n${herald.stderr}`,
        );
      }
    }
    return herald;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** The API base, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sends a signal. */
  signal(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Resolves with the exit status once the process has ended and its output is read. */
  async status(): Promise<Deno.CommandStatus> {
    const status = await this.#child.status;
    await this.#pumps;
    return status;
  }

  /**
   * Resolves true once `predicate` holds after some output arrived, or false when the process
   * ended first.
   */
  waitFor(predicate: () => boolean): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (predicate()) resolve(true);
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
      this.#pumps.then(() => resolve(predicate()));
    });
  }

  /** Kills the process if it still runs and waits for it. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already ended */ }
    await this.status();
  }

  /** Kills the process and removes the temp HERALD_HOME it made. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    if (this.#ownsHome) await Deno.remove(this.home, { recursive: true }).catch(() => {});
  }

  async #pump(stream: ReadableStream<Uint8Array>, add: (text: string) => void): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      add(text);
      for (const check of this.#waiters.splice(0)) check();
    }
  }
}

/** `Authorization` and JSON headers for {@link E2E_KEY}. */
export const E2E_HEADERS = {
  Authorization: `Bearer ${E2E_KEY}`,
  "Content-Type": "application/json",
};

/** Reads an SSE response body to its end and returns the text. */
export async function readAll(res: Response): Promise<string> {
  let text = "";
  for await (const part of res.body!.pipeThrough(new TextDecoderStream())) text += part;
  return text;
}

/** Reads an SSE body until `marker` appears; returns the text so far and ways to go on. */
export async function readUntil(
  res: Response,
  marker: string,
): Promise<{ text: string; rest: () => Promise<string>; cancel: () => Promise<void> }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Stream ended before '${marker}':\n${text}`);
    text += value;
  }
  return {
    text,
    async rest() {
      let more = text;
      while (true) {
        const { value, done } = await reader.read();
        if (done) return more;
        more += value;
      }
    },
    /** Drops the stream, as a client that goes away does. */
    async cancel() {
      await reader.cancel().catch(() => {});
    },
  };
}
