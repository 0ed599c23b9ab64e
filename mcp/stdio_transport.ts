/**
 * The stdio transport for local MCP servers, on Deno's own subprocess API: the server leads its
 * own process group (so closing kills everything it started), gets only the environment it is
 * given (never Herald's), and may be wrapped by a sandbox launcher. Messages are JSON-RPC, one per
 * line, as the MCP stdio transport specifies.
 * @module
 */
import { deserializeMessage, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** The program to start and how. */
export interface StdioLaunch {
  command: string;
  args: string[];
  /** The child's whole environment (nothing is inherited). */
  env: Record<string, string>;
  /** The part of `env` the server's config gave (a sandbox sets the rest itself). */
  ownEnv?: Record<string, string>;
  cwd?: string;
}

/** Options for {@link DenoStdioTransport}. */
export interface StdioTransportOptions {
  /** Receives the server's stderr lines (its log); the last ones explain a crash. */
  onStderr?: (line: string) => void;
  /** Milliseconds between SIGTERM and SIGKILL on close; default 2000. */
  killGraceMs?: number;
  /** Longest line accepted from the server, in bytes; default 64 MiB. */
  maxLineBytes?: number;
}

/** The environment variables a stdio server gets from Herald's own, besides its configured env. */
export const INHERITED_ENV_NAMES = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM", "TMPDIR"];

/**
 * Speaks MCP to a child process over its stdin and stdout.
 *
 * @example
 * ```ts
 * const transport = new DenoStdioTransport({ command: "mcp-server-memory", args: [], env: {} });
 * await client.connect(transport); // an SDK Client
 * ```
 */
export class DenoStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #launch: StdioLaunch;
  readonly #options: StdioTransportOptions;
  #child?: Deno.ChildProcess;
  #writer?: WritableStreamDefaultWriter<Uint8Array>;
  #closed = false;
  #exited?: Promise<Deno.CommandStatus>;

  constructor(launch: StdioLaunch, options: StdioTransportOptions = {}) {
    this.#launch = launch;
    this.#options = options;
  }

  /** The child's process id, once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns the server. Rejects when the program cannot be started. */
  start(): Promise<void> {
    if (this.#child) throw new Error("The stdio transport is already started.");
    const { command, args, env, cwd } = this.#launch;
    try {
      this.#child = new Deno.Command(command, {
        args,
        env,
        clearEnv: true,
        cwd,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        // setsid(): the server leads a new process group, so killing -pid reaches its children.
        detached: true,
      }).spawn();
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? `program not found: ${command}`
        : `cannot start ${command}: ${(error as Error).message}`;
      return Promise.reject(new Error(reason));
    }
    this.#writer = this.#child.stdin.getWriter();
    this.#exited = this.#child.status;
    this.#readStdout(this.#child.stdout);
    this.#readStderr(this.#child.stderr);
    this.#exited.then((status) => {
      this.#writer?.close().catch(() => {});
      if (!this.#closed) {
        this.onerror?.(new Error(`the server exited (${describeStatus(status)})`));
      }
      this.#finish();
    });
    return Promise.resolve();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.#writer || this.#closed) throw new Error("The MCP server's stdin is closed.");
    await this.#writer.write(new TextEncoder().encode(serializeMessage(message)));
  }

  /** Closes stdin, asks the process group to stop, and kills it after the grace period. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const child = this.#child;
    if (!child) return this.#finish();
    await this.#writer?.close().catch(() => {});
    signalGroup(child.pid, "SIGTERM");
    const grace = this.#options.killGraceMs ?? 2000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      this.#exited!.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), grace))),
    ]);
    clearTimeout(timer);
    // Children the server started may outlive it: the whole group goes either way.
    signalGroup(child.pid, "SIGKILL");
    if (!exited) await this.#exited!.catch(() => {});
    this.#finish();
  }

  #finishCalled = false;
  #finish(): void {
    if (this.#finishCalled) return;
    this.#finishCalled = true;
    this.#closed = true;
    this.onclose?.();
  }

  async #readStdout(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    const max = this.#options.maxLineBytes ?? 64 * 1024 * 1024;
    let buffer = "";
    try {
      for await (const chunk of stream) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          if (line.trim()) this.#deliver(line);
        }
        if (buffer.length > max) {
          this.onerror?.(new Error(`the server sent a line over ${max} bytes; closing`));
          await this.close();
          return;
        }
      }
    } catch (error) {
      if (!this.#closed) this.onerror?.(error as Error);
    }
  }

  #deliver(line: string): void {
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch {
      // A server that prints a stray line to stdout is misbehaving, not fatal.
      this.onerror?.(
        new Error(`the server wrote a line that is not JSON-RPC: ${line.slice(0, 200)}`),
      );
      return;
    }
    this.onmessage?.(message);
  }

  async #readStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of stream) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) this.#options.onStderr?.(line);
        if (buffer.length > 65536) buffer = buffer.slice(-65536);
      }
      if (buffer.trim()) this.#options.onStderr?.(buffer);
    } catch { /* the process is gone */ }
  }
}

function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch { /* already gone */ }
}

function describeStatus(status: Deno.CommandStatus): string {
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}
