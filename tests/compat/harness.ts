/**
 * A real Herald gateway for the client-compatibility suite: `startGateway` on a temporary
 * HERALD_HOME (real KV file, port 0), with the scriptable fake LLM as its upstream.
 * @module
 */
import { join } from "node:path";
import { loadConfig } from "../../config/loader.ts";
import { type Gateway, startGateway } from "../../server/gateway.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";

/** The key the compat gateway accepts. */
export const COMPAT_KEY = "compat-key-0123456789abcdef";

/** A running gateway and its fake upstream. */
export interface CompatGateway {
  gateway: Gateway;
  llm: FakeLlm;
  /** The OpenAI base URL, ending in `/v1`. */
  baseURL: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a gateway with no LLM retries and a short shutdown grace. */
export async function startCompatGateway(): Promise<CompatGateway> {
  const llm = await FakeLlm.start();
  const home = await Deno.makeTempDir({ prefix: "herald_compat_" });
  const workspace = join(home, "workspace");
  await Deno.mkdir(workspace);
  // Failures are scripted: a retry would only repeat them slowly.
  await Deno.writeTextFile(
    join(home, "config.yaml"),
    "llm:\n  max_retries: 0\napi_server:\n  shutdown_grace: 1\n",
  );
  const resolved = await loadConfig({
    env: {
      HERALD_HOME: home,
      HERALD_WORKSPACE: workspace,
      OPENAI_BASE_URL: llm.baseUrl,
      HERALD_MODEL: "fake-model",
      API_SERVER_PORT: "0",
      API_SERVER_KEY: COMPAT_KEY,
    },
    cwd: home,
  });
  const gateway = await startGateway(resolved, {
    log: () => {},
    requestLog: () => {},
    handleSignals: false,
  });
  const close = async () => {
    await gateway.shutdown();
    await gateway.finished;
    await llm.close();
    await Deno.remove(home, { recursive: true });
  };
  return {
    gateway,
    llm,
    baseURL: `${gateway.url}/v1`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A client tool every suite declares: the weather for a city. */
export const WEATHER_PARAMETERS = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
  additionalProperties: false,
} as const;
