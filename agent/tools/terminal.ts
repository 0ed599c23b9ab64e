/**
 * The `terminal` tool: runs `bash -c <command>` in the workspace, in its own process group so a
 * timeout or an abort kills the whole process tree, with stdout and stderr captured and capped.
 * @module
 */
import { z } from "zod";
import type { Config } from "../../config/mod.ts";
import { CommandPolicy } from "./command_policy.ts";
import type { Tool, ToolOutput } from "./registry.ts";
import { SECRET_ENV_NAMES } from "./secrets.ts";

/** Bytes of stdout (and, separately, of stderr) kept; the middle of longer output is cut. */
export const MAX_STREAM_BYTES = 50_000;
/** After the command exits, how long background children may keep its output pipes open. */
const PIPE_GRACE_MS = 2000;

/** Options for {@link terminalTool} besides the config. */
export interface TerminalToolOptions {
  /** Secret values: environment variables holding them are not passed to commands. */
  secrets?: readonly string[];
}

const parameters = z.object({
  command: z.string().min(1).describe(
    "The bash command to run, e.g. `ls -la` or `deno test 2>&1 | tail -50`. Runs with `bash -c` " +
      "in the workspace directory; use && to chain steps. No interactive input is available.",
  ),
  timeout: z.number().positive().optional().describe(
    "Seconds before the command is killed. Raise it for long builds or tests.",
  ),
});

/**
 * Creates the terminal tool.
 *
 * @example
 * ```ts
 * registry.register(terminalTool(config));
 * ```
 */
export function terminalTool(
  config: Config,
  options: TerminalToolOptions = {},
): Tool<typeof parameters> {
  const { timeout: defaultTimeout, max_timeout: maxTimeout } = config.tools.terminal;
  const policy = new CommandPolicy({
    deny: config.tools.terminal.deny,
    allow: config.tools.terminal.allow,
  });
  return {
    name: "terminal",
    description: "Run a shell command (bash) on the machine, in the workspace directory. " +
      "Returns the exit code, stdout and stderr; each stream keeps at most ~50 KB (the middle " +
      "of longer output is cut, so filter it with grep, head or tail). " +
      `Default timeout ${defaultTimeout} s, at most ${maxTimeout} s. Destructive commands ` +
      "(wiping / or home, formatting disks, shutdown, piping a download into a shell…) are refused.",
    parameters,
    async execute({ command, timeout }, context): Promise<ToolOutput> {
      const refusal = policy.check(command);
      if (refusal) return { output: refusal, isError: true };
      const seconds = Math.min(timeout ?? defaultTimeout, maxTimeout);
      return await runCommand(command, {
        cwd: context.workspace,
        env: commandEnv(options.secrets ?? []),
        timeoutMs: seconds * 1000,
        signal: context.signal,
      });
    },
  };
}

/** The parent environment minus the gateway's own secrets. */
function commandEnv(secrets: readonly string[]): Record<string, string> {
  const env = Deno.env.toObject();
  const secretValues = new Set(secrets);
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_ENV_NAMES.includes(name) || secretValues.has(value)) delete env[name];
  }
  return env;
}

interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
}

async function runCommand(command: string, options: RunOptions): Promise<ToolOutput> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("bash", {
      args: ["-c", command],
      cwd: options.cwd,
      env: options.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // setsid(): the command leads a new process group, so killing -pid reaches its children.
      detached: true,
    }).spawn();
  } catch (e) {
    return { output: `error: cannot start bash: ${(e as Error).message}`, isError: true };
  }
  let ended: "timeout" | "abort" | null = null;
  const killGroup = (why: "timeout" | "abort") => {
    ended ??= why;
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // The group is already gone.
    }
  };
  const timer = setTimeout(() => killGroup("timeout"), options.timeoutMs);
  const onAbort = () => killGroup("abort");
  options.signal.addEventListener("abort", onAbort, { once: true });
  if (options.signal.aborted) onAbort();

  const stdout = new CappedBuffer(MAX_STREAM_BYTES);
  const stderr = new CappedBuffer(MAX_STREAM_BYTES);
  const readers = [stdout.drain(child.stdout), stderr.drain(child.stderr)];
  let status: Deno.CommandStatus;
  try {
    status = await child.status;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onAbort);
  }
  const piped = await settleWithin(Promise.all(readers), PIPE_GRACE_MS);
  if (!piped) {
    // A background process still holds the pipes open; return what we have without it.
    stdout.cancel();
    stderr.cancel();
    await Promise.allSettled(readers);
  }

  const lines: string[] = [];
  if (ended === "timeout") {
    lines.push(`exit code: killed (timed out after ${options.timeoutMs / 1000} s)`);
  } else if (ended === "abort") lines.push("exit code: killed (interrupted)");
  else if (status.signal) lines.push(`exit code: ${status.code} (signal ${status.signal})`);
  else lines.push(`exit code: ${status.code}`);
  lines.push("", section("stdout", stdout.text()), "", section("stderr", stderr.text()));
  if (!piped) {
    lines.push("", "[note: background processes kept the output open; later output is not shown]");
  }
  return { output: lines.join("\n"), isError: ended !== null };
}

function section(name: string, text: string): string {
  return text === "" ? `${name}: (empty)` : `${name}:\n${text.replace(/\n$/, "")}`;
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Keeps the first and last halves of a stream's bytes, counting what was cut in between. */
class CappedBuffer {
  #half: number;
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  #total = 0;
  #reader?: ReadableStreamDefaultReader<Uint8Array>;

  constructor(max: number) {
    this.#half = Math.floor(max / 2);
  }

  async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    this.#reader = stream.getReader();
    try {
      while (true) {
        const { done, value } = await this.#reader.read();
        if (done) return;
        this.#push(value);
      }
    } finally {
      this.#reader.releaseLock();
    }
  }

  cancel(): void {
    this.#reader?.cancel().catch(() => {});
  }

  #push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    if (this.#headBytes < this.#half) {
      const take = Math.min(chunk.length, this.#half - this.#headBytes);
      this.#head.push(chunk.subarray(0, take));
      this.#headBytes += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0) return;
    this.#tail.push(chunk);
    this.#tailBytes += chunk.length;
    while (this.#tailBytes - this.#tail[0].length >= this.#half) {
      this.#tailBytes -= this.#tail.shift()!.length;
    }
  }

  text(): string {
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    const tailAll = concat(this.#tail);
    const tail = tailAll.subarray(Math.max(0, tailAll.length - this.#half));
    const omitted = this.#total - this.#headBytes - tail.length;
    if (omitted <= 0) return decode(concat([...this.#head, tail]));
    return decode(concat(this.#head)) +
      `\n[… ${omitted} bytes cut from the middle (${this.#total} bytes in total) …]\n` +
      decode(tail);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
