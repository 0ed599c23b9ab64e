/**
 * A whole Herald gateway for tests: `startGateway` on a temporary HERALD_HOME (a real KV file,
 * port 0) whose config.yaml turns LLM retries off, pointed at a given upstream.
 * @module
 */
import { join } from "node:path";
import { loadConfig } from "../../config/mod.ts";
import { type Gateway, startGateway } from "../../gateway/mod.ts";

/** Options for {@link startTestGateway}. */
export interface TestGatewayOptions {
  /** The upstream base URL (a FakeLlm's `baseUrl`). */
  upstream: string;
  /** The API key the gateway accepts. */
  key: string;
  /** Extra config.yaml text, appended after `llm.max_retries: 0`. */
  configYaml?: string;
  /**
   * The HERALD_HOME to use (a second gateway on the first one's home, as after a restart); it
   * is then left in place on close. Default: a new temporary folder, removed on close.
   */
  home?: string;
  /** Extra environment, beating the defaults set here. */
  env?: Record<string, string>;
  /** Receives the request log's lines (JSON unless `log.format` says text); default: dropped. */
  requestLog?: (line: string) => void;
}

/** A running test gateway; disposing it shuts it down and removes its home. */
export interface TestGateway {
  gateway: Gateway;
  /** The temporary HERALD_HOME (also the workspace's parent). */
  home: string;
  /** The banner and other lines the gateway logged. */
  log: string[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a gateway with its own temporary home and workspace. */
export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const home = options.home ?? await Deno.makeTempDir({ prefix: "herald_test_" });
  const workspace = join(home, "workspace");
  await Deno.mkdir(workspace, { recursive: true });
  // Failures in tests are scripted: a retry would only repeat them slowly.
  await Deno.writeTextFile(
    join(home, "config.yaml"),
    `llm:\n  max_retries: 0\n${options.configYaml ?? ""}`,
  );
  const resolved = await loadConfig({
    env: {
      HERALD_HOME: home,
      HERALD_WORKSPACE: workspace,
      OPENAI_BASE_URL: options.upstream,
      HERALD_MODEL: "fake-model",
      API_SERVER_PORT: "0",
      API_SERVER_KEY: options.key,
      ...options.env,
    },
    cwd: home,
  });
  const log: string[] = [];
  const gateway = await startGateway(resolved, {
    log: (line) => log.push(line),
    requestLog: options.requestLog ?? (() => {}),
    handleSignals: false,
  });
  const close = async () => {
    await gateway.shutdown();
    await gateway.finished;
    if (!options.home) await Deno.remove(home, { recursive: true });
  };
  return { gateway, home, log, close, [Symbol.asyncDispose]: close };
}
