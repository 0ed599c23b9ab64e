/**
 * A real Herald gateway for the client-compatibility suite: `startGateway` on a temporary
 * HERALD_HOME (real KV file, port 0), with the scriptable fake LLM as its upstream.
 * @module
 */
import { join } from "node:path";
import type { Gateway } from "../../gateway/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";

/** The key the compat gateway accepts. */
export const COMPAT_KEY = "compat-key-0123456789abcdef";

/** A running gateway and its fake upstream. */
export interface CompatGateway {
  gateway: Gateway;
  llm: FakeLlm;
  /** The OpenAI base URL, ending in `/v1`. */
  baseURL: string;
  /** The agent's workspace folder (temporary). */
  workspace: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a gateway with no LLM retries and a short shutdown grace. */
export async function startCompatGateway(configYaml = ""): Promise<CompatGateway> {
  const llm = await FakeLlm.start();
  const started = await startTestGateway({
    upstream: llm.baseUrl,
    key: COMPAT_KEY,
    configYaml: `api_server:\n  shutdown_grace: 1\n${configYaml}`,
  });
  const close = async () => {
    await started.close();
    await llm.close();
  };
  return {
    gateway: started.gateway,
    llm,
    baseURL: `${started.gateway.url}/v1`,
    workspace: join(started.home, "workspace"),
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
