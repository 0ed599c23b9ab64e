/**
 * Test harness: an Agent wired to a FakeLlm and served over real HTTP by the real app pipeline,
 * plus an `openai` SDK client pointed at it.
 * @module
 */
import OpenAI from "openai";
import { z } from "zod";
import { Agent } from "../../agent/mod.ts";
import { LlmClient } from "../../agent/mod.ts";
import { type Tool, ToolRegistry } from "../../agent/mod.ts";
import { createApp } from "../../server/mod.ts";
import { chatCompletionRoutes } from "../../server/mod.ts";
import { healthRoutes, modelRoutes } from "../../server/mod.ts";
import type { AppOptions, Middleware, Route } from "../../server/mod.ts";
import { RunTracker } from "../../server/mod.ts";
import { FakeLlm, type FakeLlmOptions } from "./fake_llm.ts";

/** The key every test server accepts. */
export const TEST_KEY = "test-key-0123456789abcdef";

/** A test tool that echoes its text, optionally after waiting (abortably). */
export function echoTool(): Tool {
  return {
    name: "echo",
    description: "Echo the given text back.",
    parameters: z.object({ text: z.string(), wait_ms: z.number().optional() }),
    readOnly: true,
    execute: async ({ text, wait_ms }, { signal }) => {
      if (wait_ms) {
        await new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(new Error("aborted"));
          const t = setTimeout(resolve, wait_ms);
          signal.addEventListener("abort", () => {
            clearTimeout(t);
            reject(new Error("aborted"));
          }, { once: true });
        });
      }
      return `echoed: ${text}`;
    },
  };
}

/** Options for {@link startTestServer}. */
export interface TestServerOptions extends FakeLlmOptions {
  tools?: Tool[];
  maxIterations?: number;
  keepAliveMs?: number;
  extraRoutes?: (deps: { agent: Agent; runs: RunTracker }) => Route[];
  middleware?: Middleware[];
  /** The app's hook for unexpected errors (default: stderr). */
  onUnexpectedError?: AppOptions["onUnexpectedError"];
  maxRetries?: number;
  streamTokens?: boolean;
}

/** A running test server. */
export interface TestServer {
  llm: FakeLlm;
  agent: Agent;
  runs: RunTracker;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** An openai client with maxRetries 0. */
  client: OpenAI;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a fake upstream, an agent and the HTTP app on a free port. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const llm = await FakeLlm.start(options);
  const registry = new ToolRegistry();
  for (const tool of options.tools ?? [echoTool()]) registry.register(tool);
  const names = registry.names();
  const agent = new Agent({
    llm: new LlmClient({
      targets: [{ model: "fake-model", baseUrl: llm.baseUrl }],
      connectTimeout: 60,
      firstTokenTimeout: 30,
      staleTimeout: 30,
      maxRetries: options.maxRetries ?? 0,
    }),
    registry,
    toolsets: { api_server: names, telegram: names, cli: names },
    workspace: Deno.cwd(),
    maxIterations: options.maxIterations ?? 10,
  });
  const runs = new RunTracker();
  const routes: Route[] = [
    ...healthRoutes(() => ({})),
    ...modelRoutes("herald"),
    ...chatCompletionRoutes({
      agent,
      runs,
      maxBodyBytes: 10 * 1024 * 1024,
      keepAliveMs: options.keepAliveMs,
      streamTokens: options.streamTokens,
    }),
    ...(options.extraRoutes?.({ agent, runs }) ?? []),
  ];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createApp({
      routes,
      apiKeys: () => [TEST_KEY],
      middleware: options.middleware,
      onUnexpectedError: options.onUnexpectedError,
    }),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
  const close = async () => {
    runs.abortAll();
    await runs.idle();
    await server.shutdown();
    await llm.close();
  };
  return { llm, agent, runs, url, client, close, [Symbol.asyncDispose]: close };
}

/** Reads an SSE body into its `data:` payloads (and raw frames). */
export async function readSse(res: Response): Promise<{ frames: string[]; data: string[] }> {
  const text = await res.text();
  const frames = text.split("\n\n").filter((f) => f.length > 0);
  const data = frames.flatMap((f) =>
    f.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
  );
  return { frames, data };
}
