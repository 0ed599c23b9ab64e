/**
 * One configured MCP server, kept connected: starts it (stdio) or connects to it (remote), lists
 * its tools, follows `tools/list_changed`, and when it dies or cannot be reached retries with
 * exponential backoff until closed. Calls honour an AbortSignal (the SDK sends MCP's
 * `notifications/cancelled`) and the server's time limit.
 * @module
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { McpServerConfig } from "../config/mod.ts";
import { expandVariables } from "./expand.ts";
import { DenoStdioTransport, INHERITED_ENV_NAMES, type StdioLaunch } from "./stdio_transport.ts";
import { abortableSleep, describeError as errorMessage } from "../lib/mod.ts";

/** Where a server stands. */
export type McpServerState = "connecting" | "ready" | "failed" | "disabled" | "closed";

/** A tool as the server describes it. */
export interface McpToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean; title?: string };
}

/** A server's state, for the banner, the log, `herald doctor` and `herald mcp list`. */
export interface McpServerStatus {
  name: string;
  /** `stdio` (a local program) or `remote` (a URL). */
  kind: "stdio" | "remote";
  state: McpServerState;
  /** Why the last attempt failed, when it did. */
  error?: string;
  /** The server's tools (all of them; include/exclude apply when they are offered). */
  tools: McpToolInfo[];
  /** Connection attempts so far. */
  attempts: number;
  /** The server's own name and version, once connected. */
  serverInfo?: { name: string; version: string };
  /** Which transport answered. */
  transport?: "stdio" | "streamable_http" | "sse";
  /** True when a stdio server runs inside the tool sandbox. */
  sandboxed?: boolean;
}

/** Turns a stdio launch into a sandboxed one, when a sandbox is available. */
export type SandboxLauncher = (launch: StdioLaunch) => StdioLaunch | Promise<StdioLaunch>;

/** What a connection needs besides the server's settings. */
export interface McpConnectionDeps {
  /** The default working directory of stdio servers. */
  workspace: string;
  /** Herald's environment: `${NAME}` values and the few inherited variables come from it. */
  env: Record<string, string>;
  /** Wraps stdio servers in the tool sandbox; absent when none is available. */
  sandbox?: SandboxLauncher;
  /** Herald's name and version, sent in `initialize`. */
  clientInfo: { name: string; version: string };
  /** Told about every state change and tool list change. */
  onChange?: (status: McpServerStatus) => void;
  /** Receives the server's stderr lines. */
  onStderr?: (line: string) => void;
  /** First retry delay in ms (doubling up to `maxBackoffMs`); default 1000. */
  backoffMs?: number;
  /** Longest retry delay in ms; default 60 000. */
  maxBackoffMs?: number;
}

/** Options for one call. */
export interface McpCallOptions {
  signal?: AbortSignal;
  /** Overrides the server's `timeout`, in milliseconds. */
  timeoutMs?: number;
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/** Raised when a call cannot be made: the server is not connected. */
export class McpUnavailableError extends Error {
  constructor(server: string, state: McpServerState, reason?: string) {
    super(
      `MCP server "${server}" is not available (${state}${reason ? `: ${reason}` : ""}).`,
    );
    this.name = "McpUnavailableError";
  }
}

/**
 * Keeps one MCP server connected.
 *
 * @example
 * ```ts
 * const connection = new McpServerConnection("memory", config.mcp_servers.memory, deps);
 * connection.start();
 * await connection.settled();
 * const result = await connection.callTool("read_graph", {}, { signal });
 * await connection.close();
 * ```
 */
export class McpServerConnection {
  readonly name: string;
  readonly config: McpServerConfig;
  readonly #deps: McpConnectionDeps;
  #state: McpServerState = "connecting";
  #error?: string;
  #tools: McpToolInfo[] = [];
  #attempts = 0;
  #client?: Client;
  #transport?: Transport;
  #transportName?: McpServerStatus["transport"];
  #stderrTail: string[] = [];
  readonly #closing = new AbortController();
  #loop?: Promise<void>;
  #settled!: () => void;
  readonly #settledPromise = new Promise<void>((resolve) => (this.#settled = resolve));

  constructor(name: string, config: McpServerConfig, deps: McpConnectionDeps) {
    this.name = name;
    this.config = config;
    this.#deps = deps;
    if (!config.enabled) {
      this.#state = "disabled";
      this.#settled();
    }
  }

  /** The server's current state and tools. */
  status(): McpServerStatus {
    const info = this.#client?.getServerVersion();
    return {
      name: this.name,
      kind: this.config.command ? "stdio" : "remote",
      state: this.#state,
      ...(this.#error ? { error: this.#error } : {}),
      tools: this.#tools,
      attempts: this.#attempts,
      ...(info && this.#state === "ready"
        ? { serverInfo: { name: info.name, version: info.version } }
        : {}),
      ...(this.#transportName ? { transport: this.#transportName } : {}),
      ...(this.config.command
        ? { sandboxed: this.config.sandbox && this.#deps.sandbox !== undefined }
        : {}),
    };
  }

  /** Starts connecting in the background (returns at once). */
  start(): void {
    if (this.#loop || this.#state === "disabled" || this.#closing.signal.aborted) return;
    this.#loop = this.#run();
  }

  /** Resolves once the first attempt has succeeded or failed (or the server is disabled). */
  settled(): Promise<void> {
    return this.#settledPromise;
  }

  /**
   * Calls a tool by its name on the server. Throws {@link McpUnavailableError} when the server is
   * not connected; protocol errors and time-outs reject with the SDK's McpError.
   */
  async callTool(
    tool: string,
    args: Record<string, unknown>,
    options: McpCallOptions = {},
  ): Promise<Record<string, unknown>> {
    const client = this.#client;
    if (this.#state !== "ready" || !client) {
      throw new McpUnavailableError(this.name, this.#state, this.#error);
    }
    const result = await client.callTool({ name: tool, arguments: args }, undefined, {
      signal: options.signal,
      timeout: options.timeoutMs ?? this.config.timeout * 1000,
      ...(options.onProgress ? { onprogress: options.onProgress } : {}),
    });
    return result as Record<string, unknown>;
  }

  /** Stops retrying and closes the connection (a stdio server's process group is killed). */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#disconnect();
    await this.#loop;
    if (this.#state !== "disabled") this.#setState("closed");
    this.#settled();
  }

  async #run(): Promise<void> {
    const signal = this.#closing.signal;
    let failures = 0;
    while (!signal.aborted) {
      this.#attempts++;
      this.#setState("connecting");
      let connectedAt = 0;
      try {
        const { lost } = await this.#connect();
        connectedAt = Date.now();
        this.#error = undefined;
        this.#setState("ready");
        this.#settled();
        const reason = await lost;
        if (signal.aborted) return;
        this.#fail(reason);
      } catch (error) {
        await this.#disconnect();
        if (signal.aborted) return;
        this.#fail(describeError(error));
      }
      this.#settled();
      // A server that stayed up a while before dying starts its backoff afresh.
      failures = connectedAt && Date.now() - connectedAt > 60_000 ? 1 : failures + 1;
      const base = this.#deps.backoffMs ?? 1000;
      const delay = Math.min(base * 2 ** (failures - 1), this.#deps.maxBackoffMs ?? 60_000);
      await abortableSleep(delay * (0.8 + Math.random() * 0.4), signal);
    }
  }

  #fail(reason: string): void {
    const tail = this.#stderrTail.at(-1);
    this.#error = tail && !reason.includes(tail) ? `${reason}; last output: ${tail}` : reason;
    this.#tools = [];
    this.#setState("failed");
  }

  /** Connects and lists the tools; resolves with a promise of why the connection ended. */
  async #connect(): Promise<{ lost: Promise<string> }> {
    this.#stderrTail = [];
    const timeoutMs = this.config.connect_timeout * 1000;
    let lostReason = "the connection closed";
    let onLost!: (reason: string) => void;
    const lost = new Promise<string>((resolve) => (onLost = resolve));
    let timedOut = false;
    const attempt = async () => {
      const { client, transport } = await this.#open(timeoutMs);
      if (timedOut) {
        await client.close().catch(() => {});
        throw new Error("connected after the time limit");
      }
      this.#client = client;
      this.#transport = transport;
      client.onerror = (error: Error) => {
        lostReason = describeError(error);
        // A remote server has no process to watch: a transport error may mean it is gone.
        if (this.config.url && this.#state === "ready") this.#probe(client);
      };
      client.onclose = () => onLost(lostReason);
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        try {
          this.#tools = await listAllTools(client, timeoutMs);
          this.#deps.onChange?.(this.status());
        } catch (error) {
          lostReason = `listing tools after a change failed: ${describeError(error)}`;
        }
      });
      this.#tools = await listAllTools(client, timeoutMs);
    };
    try {
      await withTimeout(attempt(), timeoutMs, `no answer within ${this.config.connect_timeout} s`);
    } catch (error) {
      timedOut = true;
      throw error;
    }
    return { lost };
  }

  async #open(timeoutMs: number): Promise<{ client: Client; transport: Transport }> {
    const config = this.config;
    if (config.command) {
      const launch = this.#launch();
      // Said plainly before a sandbox launcher would report it in its own words.
      if (launch.command.includes("/")) {
        const path = launch.command.startsWith("/")
          ? launch.command
          : `${launch.cwd ?? this.#deps.workspace}/${launch.command}`;
        await Deno.stat(path).catch(() => {
          throw new Error(`program not found: ${launch.command}`);
        });
      }
      const sandboxed = config.sandbox && this.#deps.sandbox
        ? await this.#deps.sandbox(launch)
        : launch;
      const transport = new DenoStdioTransport(sandboxed, {
        onStderr: (line) => {
          this.#stderrTail.push(line);
          if (this.#stderrTail.length > 20) this.#stderrTail.shift();
          this.#deps.onStderr?.(line);
        },
      });
      this.#transport = transport;
      this.#transportName = "stdio";
      const client = this.#newClient();
      await client.connect(transport, { timeout: timeoutMs });
      return { client, transport };
    }
    const url = new URL(expandVariables(config.url!, this.#deps.env, "url"));
    const headers = Object.fromEntries(
      Object.entries(config.headers).map((
        [name, value],
      ) => [name, expandVariables(value, this.#deps.env, `header ${name}`)]),
    );
    const requestInit: RequestInit = { headers };
    if (config.transport !== "sse") {
      const transport = new StreamableHTTPClientTransport(url, { requestInit });
      this.#transport = transport;
      const client = this.#newClient();
      try {
        await client.connect(transport, { timeout: timeoutMs });
        this.#transportName = "streamable_http";
        return { client, transport };
      } catch (error) {
        await client.close().catch(() => {});
        if (config.transport === "streamable_http") throw error;
      }
    }
    // The older HTTP+SSE transport (protocol 2024-11-05), for servers that predate streamable HTTP.
    const transport = new SSEClientTransport(url, { requestInit });
    this.#transport = transport;
    const client = this.#newClient();
    await client.connect(transport, { timeout: timeoutMs });
    this.#transportName = "sse";
    return { client, transport };
  }

  #launch(): StdioLaunch {
    const config = this.config;
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV_NAMES) {
      const value = this.#deps.env[name];
      if (value !== undefined) env[name] = value;
    }
    const ownEnv: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.env)) {
      ownEnv[name] = env[name] = expandVariables(value, this.#deps.env, `env ${name}`);
    }
    return {
      ownEnv,
      command: config.command!,
      args: config.args.map((arg, i) => expandVariables(arg, this.#deps.env, `args[${i}]`)),
      env,
      cwd: config.cwd ?? this.#deps.workspace,
    };
  }

  #newClient(): Client {
    return new Client(this.#deps.clientInfo, { capabilities: {} });
  }

  #probe(client: Client): void {
    client.ping({ timeout: 5000 }).catch(() => {
      if (this.#client === client) this.#disconnect();
    });
  }

  async #disconnect(): Promise<void> {
    const client = this.#client;
    const transport = this.#transport;
    this.#client = undefined;
    this.#transport = undefined;
    if (client) await client.close().catch(() => {});
    else if (transport) await transport.close().catch(() => {});
  }

  #setState(state: McpServerState): void {
    this.#state = state;
    this.#deps.onChange?.(this.status());
  }
}

async function listAllTools(client: Client, timeoutMs: number): Promise<McpToolInfo[]> {
  if (!client.getServerCapabilities()?.tools) return [];
  const tools: McpToolInfo[] = [];
  let cursor: string | undefined;
  // A server that pages forever is cut off after 100 pages.
  for (let page = 0; page < 100; page++) {
    const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs });
    for (const tool of result.tools) tools.push(tool as McpToolInfo);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** A one-line reason for a failure. */
export function describeError(error: unknown): string {
  return errorMessage(error).replace(/\s+/g, " ").trim() || "unknown error";
}
