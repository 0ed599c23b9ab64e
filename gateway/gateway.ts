/**
 * Starts a whole Herald gateway: store, agent, HTTP API, platform workers, banner, and a
 * graceful shutdown. `main.ts serve` and the library's `startGateway` both land here.
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import {
  type ConfiguredKeys,
  keysFilePath,
  maskSecret,
  resolveConfiguredKeys,
  securePrivateHome,
} from "../config/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { displayUrl } from "../agent/mod.ts";
import { llmTargets, openRuntime, routeTargets, type Runtime } from "./runtime.ts";
import { createApp, Keyring } from "../server/mod.ts";
import { chatCompletionRoutes } from "../server/mod.ts";
import { embeddingsRoutes, healthRoutes, ModelCatalog, modelRoutes } from "../server/mod.ts";
import type { Route } from "../server/mod.ts";
import { webhookRoute } from "../server/mod.ts";
import { checkExposure, defaultGuards, type LogLevel } from "../server/mod.ts";
import { installShutdown } from "../server/mod.ts";
import type { PlatformHandle, TelegramHandle } from "../platforms/mod.ts";
import { SessionStore } from "../store/mod.ts";
import type { ChatMessage } from "../agent/mod.ts";
import { RunTracker } from "../server/mod.ts";
import { LiveRuns, namespacedResponsesRoutes, ResponseSockets } from "../server/mod.ts";
import { webUiRoutes } from "../server/mod.ts";
import { WEB_ASSETS } from "../web/mod.ts";
import { ApprovalStore, KeyedQueue, ResponseStore } from "../store/mod.ts";
import { mcpEndpoint } from "../server/mod.ts";
import { mcpBannerLines, startMcpServers } from "./mcp_servers.ts";
import type { McpServerPool } from "../mcp/mod.ts";
import { describeError, isRemoteKvPath, queueStderrLine } from "../lib/mod.ts";
import { streamingFor } from "../config/mod.ts";

/** A running gateway. */
export interface Gateway {
  /** The HTTP base URL, e.g. `http://127.0.0.1:8642` (empty when the API is disabled). */
  url: string;
  /** A key clients can use. */
  apiKey: string;
  /** The shared runtime (agent, KV). */
  runtime: Runtime;
  /** The configured MCP servers, when there are any. */
  mcpServers?: McpServerPool;
  /** Resolves once the gateway has fully stopped. */
  finished: Promise<void>;
  /** Stops accepting, lets running turns finish within the grace period, then aborts them. */
  shutdown(): Promise<void>;
}

/** Options for {@link startGateway}. */
export interface StartGatewayOptions {
  /** Where banner and log lines go; default stdout. */
  log?: (line: string) => void;
  /** Install SIGINT/SIGTERM handlers; default true. */
  handleSignals?: boolean;
  /** Use this KV handle instead of opening the configured one (tests). */
  kv?: Deno.Kv;
  /** Where the one-line-per-request log goes; default stderr. */
  requestLog?: (line: string) => void;
  /** Overrides `log.level` (`herald serve --verbose` passes `debug`). */
  logLevel?: LogLevel;
}

/**
 * The API port is taken. `herald serve` turns it into a message naming the port and the three
 * ways to choose another.
 */
export class PortInUseError extends Error {
  constructor(readonly host: string, readonly port: number) {
    super(`Cannot listen on ${host}:${port}: the port is already in use.`);
    this.name = "PortInUseError";
  }
}

/** The request log's format, colour and level from `log.*` and the options. */
function requestLogFormat(
  log: ResolvedConfig["config"]["log"],
  options: StartGatewayOptions,
): { logFormat: "text" | "json"; logColor: boolean; logLevel: LogLevel } {
  // A sink given by the caller (tests, embedders) gets JSON unless text was asked for.
  const terminal = options.requestLog === undefined && Deno.stderr.isTerminal();
  const logFormat = log.format === "auto" ? (terminal ? "text" : "json") : log.format;
  return {
    logFormat,
    logColor: terminal && logFormat === "text" && !Deno.env.get("NO_COLOR"),
    logLevel: options.logLevel ?? log.level,
  };
}

/** The accepted keys: configured ones, else the generated key in $HERALD_HOME/api_key. */
export async function resolveApiKeys(
  resolved: ResolvedConfig,
): Promise<{ keys: string[]; generatedPath?: string; keyFile?: string }> {
  const found = await resolveConfiguredKeys(resolved);
  return { ...found, keys: found.keys.map((k) => k.key) };
}

/**
 * The banner's key line. The key is shown in full only on the start that generated it (the user
 * needs it once to connect); otherwise masked, because banners end up in service logs.
 */
function keyLine(
  keys: readonly string[],
  generatedPath: string | undefined,
  keyFile: string | undefined,
  named: number,
): string {
  if (generatedPath) return `${keys[0]}   (generated, kept in ${generatedPath})`;
  const others = keys.length - 1 + named;
  const more = others > 0 ? ` and ${others} more` : "";
  const where = keyFile ? `kept in ${keyFile}` : "from configuration";
  return `${maskSecret(keys[0])}${more}   (${where}; \`herald key\` prints it)`;
}

/**
 * Starts the gateway.
 *
 * @example
 * ```ts
 * const gateway = await startGateway(await loadConfig());
 * await gateway.finished;
 * ```
 */
export async function startGateway(
  resolved: ResolvedConfig,
  options: StartGatewayOptions = {},
): Promise<Gateway> {
  const log = options.log ?? ((line: string) => console.log(line));
  const config = resolved.config;
  // Owner-only before anything is written there: the store, keys and history are private.
  const homeWarnings = await securePrivateHome(resolved.home, {
    leave: [resolved.workspace, ...config.tools.files.extra_roots],
  });
  const configured: ConfiguredKeys = await resolveConfiguredKeys(resolved);
  const { generatedPath, keyFile } = configured;
  const keys = configured.keys.map((k) => k.key);
  const keyring = new Keyring({
    keys: configured.keys,
    file: keysFilePath(resolved.home),
    onFileError: (message) => log(`warning: ${message}`),
  });
  // Before anything is opened or started: a refused exposure must leave nothing behind.
  const exposureWarning = config.api_server.enabled ? checkExposure(config.api_server, keys) : null;
  const requestLogSink = options.requestLog ?? queueStderrLine;
  const runtime = await openRuntime(resolved, {
    kv: options.kv,
    extraSecrets: keys,
    // `log.level: debug` (`herald serve --verbose`): a line per tool call beside the requests.
    toolLog: (options.logLevel ?? config.log.level) === "debug" ? requestLogSink : undefined,
  });
  const runs = new RunTracker();
  const responseStore = new ResponseStore(runtime.kv, {
    retentionDays: config.store.retention_days,
  });
  // Background runs a previous process left running can never finish now; a store shared by
  // several instances over KV Connect may hold other instances' live runs, so leave those.
  // Every other key has its own store (server/responses/namespaces.ts); made once per key name.
  const keyStores = new Map<string, ResponseStore>();
  const storeFor = (name: string): ResponseStore => {
    let store = keyStores.get(name);
    if (!store) {
      store = new ResponseStore(runtime.kv, {
        prefix: ["keys", name, "responses"],
        retentionDays: config.store.retention_days,
      });
      keyStores.set(name, store);
    }
    return store;
  };
  const stores = [
    responseStore,
    ...keyring.names().filter((n) => n !== "default").map(storeFor),
  ];
  for (const store of stores) {
    if (!isRemoteKvPath(config.store.kv_path)) await store.failInterrupted();
    await store.sweep();
  }
  const approvalStore = new ApprovalStore(runtime.kv, {
    timeoutSeconds: config.approvals.timeout,
  });
  const httpApprovals = { store: approvalStore, mode: config.approvals.api_server };

  const toolOrigins = [
    "herald",
    ...Object.entries(config.mcp_servers).filter(([, s]) => s.enabled).map(([name]) => name),
  ];
  const endpoint = config.mcp.endpoint
    ? mcpEndpoint({
      agent: runtime.agent,
      runs,
      sessions: new SessionStore<ChatMessage>(runtime.kv),
      queue: new KeyedQueue(),
      maxRuns: config.api_server.max_concurrent_runs,
      approvalMode: config.approvals.api_server,
      serverInfo: { name: "herald", version: denoJson.version },
      maxSessions: config.mcp.max_sessions,
      ...(config.mcp.expose_tools
        ? {
          registry: runtime.registry,
          workspace: resolved.workspace,
          exposedTools: () =>
            runtime.registry.tools()
              .filter((t) => !t.mcp && config.toolsets.api_server.includes(t.name))
              .map((t) => t.name),
        }
        : {}),
    })
    : undefined;

  const sockets = new ResponseSockets();
  const models = new ModelCatalog({
    defaultName: config.api_server.model_name,
    defaultTarget: llmTargets(resolved)[0],
    routes: routeTargets(resolved),
    unknownModel: config.api_server.unknown_model,
  });
  const routes: Route[] = [
    // Anyone who can connect may ask /health; how busy the agent is, only key holders.
    ...healthRoutes((_req, ctx) =>
      ctx.key ? { model: config.api_server.model_name, runs: runs.size } : {}
    ),
    ...modelRoutes(models),
    ...embeddingsRoutes({ models, maxBodyBytes: config.api_server.max_body_bytes }),
    ...chatCompletionRoutes({
      models,
      agent: runtime.agent,
      runs,
      maxBodyBytes: config.api_server.max_body_bytes,
      streamTokens: streamingFor(config, "api_server"),
      approvals: httpApprovals,
    }),
    ...namespacedResponsesRoutes({
      models,
      agent: runtime.agent,
      runs,
      store: responseStore,
      maxBodyBytes: config.api_server.max_body_bytes,
      modelName: config.api_server.model_name,
      live: new LiveRuns(),
      sockets,
      websocketMaxMinutes: config.api_server.websocket_max_minutes,
      maxConcurrentRuns: config.api_server.max_concurrent_runs,
      contextTokens: config.model.context_tokens,
      toolOrigins: () => toolOrigins,
      approvals: httpApprovals,
      streamTokens: streamingFor(config, "api_server"),
    }, storeFor),
    ...(endpoint?.routes ?? []),
    // The built-in web chat at `/` (docs/web.md), a client of the routes above.
    ...(config.api_server.web_ui ? webUiRoutes(WEB_ASSETS) : []),
  ];
  let telegram: TelegramHandle | undefined;
  if (config.telegram.bot_token) {
    // Imported only when a bot is configured: the platform code is not needed for the API alone.
    const { startTelegram } = await import("../platforms/mod.ts");
    telegram = await startTelegram({
      config: resolved,
      agent: runtime.agent,
      sessions: new SessionStore<ChatMessage>(runtime.kv),
      approvals: approvalStore,
      kv: runtime.kv,
      log,
    });
    if (telegram.handleWebhook && telegram.webhookPath) {
      const webhook = telegram.handleWebhook.bind(telegram);
      routes.push(webhookRoute({
        path: telegram.webhookPath,
        handle: webhook,
        // Wrong secrets count against the failed-auth throttle; Telegram itself never waits.
        verify: (req) => telegram!.verifyWebhook?.(req) ?? false,
      }));
    }
  }
  // Discord and Slack: a configuration mistake stops that platform alone, with one line.
  const problems: Record<string, string> = {};
  const startChat = async (
    name: "discord" | "slack",
    label: string,
  ): Promise<PlatformHandle | undefined> => {
    const { discordSpec, slackSpec, startPlatform } = await import("../platforms/mod.ts");
    try {
      const spec = name === "discord" ? discordSpec(resolved) : slackSpec(resolved);
      const handle = await startPlatform(spec, {
        config: resolved,
        agent: runtime.agent,
        sessions: new SessionStore<ChatMessage>(runtime.kv),
        kv: runtime.kv,
        log,
        // The policy applies here too: a call that needs approval is refused with a reason, as
        // these workers cannot show the question yet.
        approvals: approvalStore,
      });
      if (handle.handleWebhook && handle.webhookPath) {
        const webhook = handle.handleWebhook.bind(handle);
        routes.push(webhookRoute({
          path: handle.webhookPath,
          handle: webhook,
          // Bad signatures count against the failed-auth throttle; the platform never waits.
          verify: (req) => handle.verifyWebhook?.(req) ?? false,
        }));
      }
      return handle;
    } catch (error) {
      problems[name] = describeError(error);
      log(`${label}: ${problems[name]}`);
      return undefined;
    }
  };
  const discord = config.discord.bot_token ? await startChat("discord", "Discord") : undefined;
  const slack = config.slack.bot_token ? await startChat("slack", "Slack") : undefined;
  const platformLine = (handle: PlatformHandle | undefined, name: string, running: string) =>
    handle ? running : problems[name] ? "off (configuration error, see above)" : "off";

  const handler = createApp({
    routes,
    keys: keyring,
    auth: config.api_server.auth,
    trustedProxies: config.api_server.trusted_proxies,
    middleware: defaultGuards({
      config: config.api_server,
      runs,
      log: requestLogSink,
      ...requestLogFormat(config.log, options),
    }),
  });

  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    server = config.api_server.enabled
      ? Deno.serve({
        hostname: config.api_server.host,
        port: config.api_server.port,
        onListen: () => {},
      }, handler)
      : undefined;
  } catch (error) {
    // Nothing may be left running: the bot and the store were started for a server that
    // cannot be.
    await Promise.all([telegram?.stop(), discord?.stop(), slack?.stop()]);
    await runtime.close();
    if (error instanceof Deno.errors.AddrInUse) {
      throw new PortInUseError(config.api_server.host, config.api_server.port);
    }
    throw error;
  }
  let url = "";
  if (server) {
    const host = server.addr.hostname.includes(":")
      ? `[${server.addr.hostname}]`
      : server.addr.hostname;
    url = `http://${host}:${server.addr.port}`;
  }

  // MCP servers start once the API listens, and connect in the background: loading the MCP
  // client or a slow or hung server never holds up /health. Until the banner is out, its MCP
  // lines say what the log lines would.
  let bannerShown = false;
  const mcpServers = await startMcpServers(resolved, runtime, (line) => {
    if (bannerShown) log(line);
  });

  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  const close = async () => {
    await endpoint?.close();
    await mcpServers?.close();
    await Promise.all([telegram?.stop(), discord?.stop(), slack?.stop()]);
    await runtime.close();
    resolveFinished();
  };
  // With the HTTP API off there is no server to drain: close on the first signal.
  const drain = installShutdown({
    runs,
    server: server ?? { shutdown: () => Promise.resolve() } as unknown as Deno.HttpServer,
    graceSeconds: config.api_server.shutdown_grace,
    onDrain: () => sockets.closeAll(),
    onClose: close,
    log,
    signals: options.handleSignals !== false,
  });
  const shutdown = () => drain.trigger();

  // The API already answers; give MCP servers a moment so the banner can say how they are.
  await mcpServers?.settled(config.mcp.startup_wait * 1000);
  const banner = [
    `Herald ${denoJson.version}`,
    url ? `  API         ${url}/v1   (OpenAI base URL)` : "  API         disabled",
    ...(url && config.api_server.web_ui
      ? [`  Web chat    ${url}/   (sign in with the API key)`]
      : []),
    `  Model id    ${config.api_server.model_name}` +
    (models.names.length > 1 ? `   (routes: ${models.names.slice(1).join(", ")})` : ""),
    `  Upstream    ${displayUrl(resolved.baseUrl)}  model ${config.model.name}`,
    `  API key     ${keyLine(keys, generatedPath, keyFile, keyring.size - keys.length)}`,
    `  Workspace   ${resolved.workspace}`,
    `  Sandbox     ${runtime.sandbox.status().summary}`,
    `  Telegram    ${telegram ? (telegram.webhookPath ? "webhook" : "long polling") : "off"}`,
    `  Discord     ${platformLine(discord, "discord", "gateway")}`,
    `  Slack       ${
      platformLine(
        slack,
        "slack",
        slack?.webhookPath ? `HTTP events on ${slack.webhookPath}` : "Socket Mode",
      )
    }`,
    ...(url && endpoint
      ? [
        `  MCP server  ${url}/mcp   (tool: ask${
          config.mcp.expose_tools ? " and the API toolset" : ""
        })`,
      ]
      : []),
    ...mcpBannerLines(mcpServers?.statuses() ?? []),
  ];
  for (const w of resolved.warnings ?? []) banner.push(`  warning: ${w}`);
  if (!config.model.base_url && !config.model.api_key) {
    banner.push(
      "  note: no upstream configured, so Herald expects a local Ollama; set OPENAI_BASE_URL " +
        "(and OPENAI_API_KEY, HERALD_MODEL) to use another LLM (see README).",
    );
  }
  if (exposureWarning) banner.push(`  warning: ${exposureWarning}`);
  if (!runtime.sandbox.confined) {
    banner.push(
      runtime.sandbox.settings.mode === "off"
        ? "  warning: the sandbox is OFF: terminal and file tools run with the gateway's own " +
          "rights and can read its keys. Set tools.sandbox: workspace-write to confine them."
        : "  warning: no OS sandbox is available, so terminal and file tools run unconfined; " +
          "dangerous commands are refused and every call that changes something needs " +
          "approval. Install bubblewrap (apt-get install bubblewrap) to confine them.",
    );
  }
  for (const w of homeWarnings) banner.push(`  warning: ${w}`);
  log(banner.join("\n"));
  bannerShown = true;

  return { url, apiKey: keys[0], runtime, mcpServers, finished, shutdown };
}
