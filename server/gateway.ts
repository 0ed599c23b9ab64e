/**
 * Starts a whole Herald gateway: store, agent, HTTP API, platform workers, banner, and a
 * graceful shutdown. `main.ts serve` and the library's `startGateway` both land here.
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import { ensureApiKey } from "../config/api_key.ts";
import type { ResolvedConfig } from "../config/schema.ts";
import { openRuntime, type Runtime } from "../agent/runtime.ts";
import { createApp } from "./app.ts";
import { chatCompletionRoutes } from "./chat_completions.ts";
import { healthRoutes, modelRoutes } from "./models.ts";
import type { Middleware, Route } from "./router.ts";
import { RunTracker } from "./runs.ts";
import { LiveRuns, responsesRoutes } from "./responses/mod.ts";
import { ResponseStore } from "../store/responses.ts";

/** A running gateway. */
export interface Gateway {
  /** The HTTP base URL, e.g. `http://127.0.0.1:8642` (empty when the API is disabled). */
  url: string;
  /** A key clients can use. */
  apiKey: string;
  /** The shared runtime (agent, KV). */
  runtime: Runtime;
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
}

/** The accepted keys: configured ones, else the generated key in $HERALD_HOME/api_key. */
export async function resolveApiKeys(
  resolved: ResolvedConfig,
): Promise<{ keys: string[]; generatedPath?: string }> {
  const { key, keys } = resolved.config.api_server;
  const configured = [key, ...keys].filter((k): k is string => !!k);
  if (configured.length) return { keys: configured };
  const info = await ensureApiKey(resolved.home);
  return { keys: [info.key], generatedPath: info.generated ? info.path : undefined };
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
  const { keys, generatedPath } = await resolveApiKeys(resolved);
  const runtime = await openRuntime(resolved, { kv: options.kv, extraSecrets: keys });
  const runs = new RunTracker();
  const responseStore = new ResponseStore(runtime.kv, {
    retentionDays: config.store.retention_days,
  });
  // Background runs a previous process left running can never finish now; a store shared by
  // several instances over KV Connect may hold other instances' live runs, so leave those.
  if (!/^https?:/i.test(config.store.kv_path ?? "")) await responseStore.failInterrupted();
  await responseStore.sweep();

  const routes: Route[] = [
    ...healthRoutes(() => ({ model: config.api_server.model_name, runs: runs.size })),
    ...modelRoutes(config.api_server.model_name),
    ...chatCompletionRoutes({
      agent: runtime.agent,
      runs,
      maxBodyBytes: config.api_server.max_body_bytes,
    }),
    ...responsesRoutes({
      agent: runtime.agent,
      runs,
      store: responseStore,
      maxBodyBytes: config.api_server.max_body_bytes,
      modelName: config.api_server.model_name,
      live: new LiveRuns(),
    }),
  ];
  const middleware: Middleware[] = [];
  const handler = createApp({ routes, apiKeys: () => keys, middleware });

  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let url = "";
  if (config.api_server.enabled) {
    server = Deno.serve({
      hostname: config.api_server.host,
      port: config.api_server.port,
      onListen: () => {},
    }, handler);
    const host = server.addr.hostname.includes(":")
      ? `[${server.addr.hostname}]`
      : server.addr.hostname;
    url = `http://${host}:${server.addr.port}`;
  }

  const banner = [
    `Herald ${denoJson.version}`,
    url ? `  API         ${url}/v1   (OpenAI base URL)` : "  API         disabled",
    `  Model id    ${config.api_server.model_name}`,
    `  Upstream    ${resolved.baseUrl}  model ${config.model.name}`,
    `  API key     ${keys[0]}${generatedPath ? `   (generated, kept in ${generatedPath})` : ""}`,
    `  Workspace   ${resolved.workspace}`,
  ];
  for (const w of resolved.warnings ?? []) banner.push(`  warning: ${w}`);
  log(banner.join("\n"));

  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      runs.beginShutdown();
      const grace = config.api_server.shutdown_grace * 1000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        runs.idle(),
        new Promise<void>((r) => (timer = setTimeout(r, grace))),
      ]);
      clearTimeout(timer);
      runs.abortAll();
      await runs.idle();
      await server?.shutdown();
      await runtime.close();
      removeSignals();
      resolveFinished();
    })();
    return stopping;
  };

  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  let signalCount = 0;
  const onSignal = () => {
    signalCount++;
    if (signalCount > 1) {
      log("Second signal: exiting now.");
      Deno.exit(130);
    }
    log("Shutting down: waiting for running turns (send the signal again to exit now)…");
    shutdown();
  };
  const removeSignals = () => {
    if (options.handleSignals === false) return;
    for (const s of signals) {
      try {
        Deno.removeSignalListener(s, onSignal);
      } catch { /* not installed */ }
    }
  };
  if (options.handleSignals !== false) {
    for (const s of signals) Deno.addSignalListener(s, onSignal);
  }

  return { url, apiKey: keys[0], runtime, finished, shutdown };
}
