/**
 * Builds a ready agent from the configuration: the upstream client (primary and fallbacks),
 * the tool registry with the built-in tools, memory and the single KV handle.
 * The main thread owns the one Runtime; platforms reach it only through messages.
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { resolveKvPath } from "../config/mod.ts";
import { auditDir, type AuditRecord, AuditTrail, openKv } from "../store/mod.ts";
import { MemoryStore, PerKeyMemory } from "../store/mod.ts";
import { Agent } from "../agent/mod.ts";
import { LlmClient, type LlmTarget } from "../agent/mod.ts";
import { collectSecrets, createBuiltinTools, Sandbox, sandboxSettingsFor } from "../agent/mod.ts";
import { createSecretMasker } from "../agent/mod.ts";
import { type FinishedToolCall, ToolRegistry } from "../agent/mod.ts";

/** Everything a running Herald shares. */
export interface Runtime {
  agent: Agent;
  kv: Deno.Kv;
  memory: MemoryStore;
  registry: ToolRegistry;
  /** The OS sandbox the terminal and file tools run in. */
  sandbox: Sandbox;
  /** The audit trail of tool calls (absent when `audit.enabled` is off). */
  audit?: AuditTrail;
  /** Closes the KV handle and flushes the audit trail. */
  close(): Promise<void>;
}

/** The primary upstream target followed by the configured fallbacks. */
export function llmTargets(resolved: ResolvedConfig): LlmTarget[] {
  const { model } = resolved.config;
  return [
    { model: model.name, baseUrl: resolved.baseUrl, apiKey: model.api_key },
    ...model.fallbacks.map((f) => ({
      model: f.name,
      baseUrl: f.base_url ?? resolved.baseUrl,
      apiKey: f.base_url ? f.api_key : f.api_key ?? model.api_key,
    })),
  ];
}

/**
 * The model routes' upstream targets by name: a route without its own base_url uses the default
 * upstream and its key; one with a base_url uses only its own key.
 */
export function routeTargets(resolved: ResolvedConfig): Map<string, LlmTarget> {
  const { model, models, api_server } = resolved.config;
  const targets = new Map<string, LlmTarget>();
  for (const [name, route] of Object.entries(models)) {
    // The advertised default always means model.name.
    if (name === api_server.model_name) continue;
    targets.set(name, {
      model: route.model,
      baseUrl: route.base_url ?? resolved.baseUrl,
      apiKey: route.base_url ? route.api_key : route.api_key ?? model.api_key,
    });
  }
  return targets;
}

/** Creates the upstream client from the configuration (or for the given targets). */
export function createLlmClient(resolved: ResolvedConfig, targets?: LlmTarget[]): LlmClient {
  const llm = resolved.config.llm;
  return new LlmClient({
    targets: targets ?? llmTargets(resolved),
    connectTimeout: llm.connect_timeout,
    firstTokenTimeout: llm.first_token_timeout,
    staleTimeout: llm.stale_timeout,
    requestTimeout: llm.request_timeout,
    maxRetries: llm.max_retries,
  });
}

/**
 * The sandbox the terminal and file tools run in, hiding `$HERALD_HOME` and the KV file.
 *
 * @example
 * ```ts
 * const sandbox = await createSandbox(await loadConfig());
 * console.log(sandbox.status().summary);
 * ```
 */
export async function createSandbox(resolved: ResolvedConfig): Promise<Sandbox> {
  const kvPath = resolveKvPath(resolved);
  return await Sandbox.create(
    sandboxSettingsFor(resolved.config.tools, [
      resolved.home,
      ...(kvPath.startsWith("/") ? [kvPath, `${kvPath}-wal`, `${kvPath}-shm`] : []),
    ]),
  );
}

/**
 * Opens the store and builds the agent.
 *
 * @example
 * ```ts
 * const runtime = await openRuntime(await loadConfig());
 * try { for await (const e of runtime.agent.run(turn)) {} } finally { await runtime.close(); }
 * ```
 */
export async function openRuntime(
  resolved: ResolvedConfig,
  options: {
    kv?: Deno.Kv;
    extraSecrets?: string[];
    /** Receives a line per tool call (`log.level` debug). */
    toolLog?: (line: string) => void;
  } = {},
): Promise<Runtime> {
  const kv = options.kv ?? await openKv(resolveKvPath(resolved), resolved.home);
  const config = resolved.config;
  // Per API key unless shared: one client's notes never reach another's system prompt.
  const memory = config.tools.memory.shared
    ? new MemoryStore(kv, { maxChars: config.tools.memory.max_chars })
    : new PerKeyMemory(kv, { maxChars: config.tools.memory.max_chars });
  const secrets = [...new Set([...collectSecrets(config), ...(options.extraSecrets ?? [])])];
  const audit = config.audit.enabled
    ? new AuditTrail(auditDir(resolved.home), {
      maxBytes: config.audit.max_bytes,
      keep: config.audit.keep,
    })
    : undefined;
  const registry = new ToolRegistry({
    mask: createSecretMasker(secrets),
    onCall: audit || options.toolLog
      ? (call) => {
        const record = auditRecord(call);
        audit?.append(record);
        options.toolLog?.(toolLogLine(record));
      }
      : undefined,
  });
  const sandbox = await createSandbox(resolved);
  for (const tool of createBuiltinTools(config, { memory, secrets, sandbox })) {
    registry.register(tool);
  }
  const routes = new Map(
    [...routeTargets(resolved)].map((
      [name, target],
    ) => [name, createLlmClient(resolved, [target])]),
  );
  const agent = new Agent({
    llm: createLlmClient(resolved),
    routes,
    registry,
    toolsets: config.toolsets,
    workspace: resolved.workspace,
    maxIterations: config.agent.max_iterations,
    memory,
    extraSystemPrompt: config.agent.system_prompt,
  });
  return {
    agent,
    kv,
    memory,
    registry,
    sandbox,
    audit,
    close: async () => {
      if (!options.kv) kv.close();
      await audit?.close();
    },
  };
}

/** The audit trail's record of a finished tool call. */
export function auditRecord(call: FinishedToolCall): AuditRecord {
  let args: unknown = call.arguments;
  try {
    args = JSON.parse(call.arguments);
  } catch { /* not JSON: keep the (masked) text */ }
  const record: AuditRecord = {
    time: new Date(call.startedAt).toISOString(),
    front_door: call.context.platform,
    tool: call.tool,
    arguments: args,
    outcome: call.isError ? "error" : "ok",
    duration_ms: call.durationMs,
  };
  if (call.context.actor) record.actor = call.context.actor;
  if (call.context.sessionKey) record.conversation = call.context.sessionKey;
  if (call.error) record.error = call.error;
  return record;
}

/** The debug log's line for a tool call. */
function toolLogLine(record: AuditRecord): string {
  const args = typeof record.arguments === "string"
    ? record.arguments
    : JSON.stringify(record.arguments);
  return `tool ${record.tool} ${record.outcome} ${record.duration_ms}ms ` +
    `${record.front_door}${record.actor ? ` ${record.actor}` : ""} ${args.slice(0, 200)}`;
}
