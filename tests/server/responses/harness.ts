/**
 * Test harness for the Responses API: the shared test server plus the Responses routes on a
 * ResponseStore (an in-memory KV unless a handle is given).
 * @module
 */
import { LiveRuns, responsesRoutes } from "../../../server/mod.ts";
import { ResponseStore } from "../../../store/mod.ts";
import {
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "../../fakes/test_server.ts";

/** A test server with the Responses API and its store. */
export interface ResponsesServer extends TestServer {
  store: ResponseStore;
  kv: Deno.Kv;
}

/** Starts the server; closing it also closes the KV handle it opened. */
export async function startResponsesServer(
  options: TestServerOptions & {
    kv?: Deno.Kv;
    coalesceMs?: number;
    streamTokens?: boolean;
    contextTokens?: number;
    websocketMaxMinutes?: number;
    maxConcurrentRuns?: number;
  } = {},
): Promise<ResponsesServer> {
  const kv = options.kv ?? await Deno.openKv(":memory:");
  const store = new ResponseStore(kv);
  const live = new LiveRuns();
  const server = await startTestServer({
    ...options,
    extraRoutes: ({ agent, runs }) =>
      responsesRoutes({
        agent,
        runs,
        store,
        live,
        maxBodyBytes: 10 * 1024 * 1024,
        keepAliveMs: options.keepAliveMs,
        coalesceMs: options.coalesceMs ?? 0,
        streamTokens: options.streamTokens,
        contextTokens: options.contextTokens,
        websocketMaxMinutes: options.websocketMaxMinutes,
        maxConcurrentRuns: options.maxConcurrentRuns,
      }),
  });
  const close = async () => {
    await server.close();
    await live.idle();
    if (!options.kv) kv.close();
  };
  return { ...server, store, kv, close, [Symbol.asyncDispose]: close };
}
