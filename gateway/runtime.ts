/**
 * Builds a ready agent from the configuration: the upstream client (primary and fallbacks),
 * the tool registry with the built-in tools, memory and the single KV handle.
 * The main thread owns the one Runtime; platforms reach it only through messages.
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { resolveKvPath } from "../config/mod.ts";
import { openKv } from "../store/mod.ts";
import { MemoryStore } from "../store/mod.ts";
import { Agent } from "../agent/mod.ts";
import { LlmClient, type LlmTarget } from "../agent/mod.ts";
import { collectSecrets, createBuiltinTools, Sandbox, sandboxSettingsFor } from "../agent/mod.ts";
import { createSecretMasker } from "../agent/mod.ts";
import { ToolRegistry } from "../agent/mod.ts";

/** Everything a running Herald shares. */
export interface Runtime {
  agent: Agent;
  kv: Deno.Kv;
  memory: MemoryStore;
  registry: ToolRegistry;
  /** The OS sandbox the terminal and file tools run in. */
  sandbox: Sandbox;
  /** Closes the KV handle. */
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

/** Creates the upstream client from the configuration. */
export function createLlmClient(resolved: ResolvedConfig): LlmClient {
  const llm = resolved.config.llm;
  return new LlmClient({
    targets: llmTargets(resolved),
    connectTimeout: llm.connect_timeout,
    firstTokenTimeout: llm.first_token_timeout,
    staleTimeout: llm.stale_timeout,
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
    sandboxSettingsFor(resolved.config, [
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
  options: { kv?: Deno.Kv; extraSecrets?: string[] } = {},
): Promise<Runtime> {
  const kv = options.kv ?? await openKv(resolveKvPath(resolved), resolved.home);
  const config = resolved.config;
  const memory = new MemoryStore(kv, { maxChars: config.tools.memory.max_chars });
  const secrets = [...new Set([...collectSecrets(config), ...(options.extraSecrets ?? [])])];
  const registry = new ToolRegistry({ mask: createSecretMasker(secrets) });
  const sandbox = await createSandbox(resolved);
  for (const tool of createBuiltinTools(config, { memory, secrets, sandbox })) {
    registry.register(tool);
  }
  const agent = new Agent({
    llm: createLlmClient(resolved),
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
    close: async () => {
      if (!options.kv) kv.close();
      await Promise.resolve();
    },
  };
}
