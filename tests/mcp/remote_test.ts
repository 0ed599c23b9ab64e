/**
 * Remote MCP servers: server-everything from the npm registry over streamable HTTP, and over the
 * older HTTP+SSE transport reached through the `auto` fallback.
 */
import assert from "node:assert/strict";
import { McpServerSchema } from "../../config/mod.ts";
import { SERVER_EVERYTHING } from "../fakes/mcp_servers.ts";
import { startPool, toolContext, waitFor } from "./helpers.ts";

/** Starts server-everything with the given transport on a free port; resolves once it listens. */
async function startEverything(transport: "streamableHttp" | "sse") {
  // The server takes its port from PORT and cannot report a port 0 back: take a free one.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", SERVER_EVERYTHING, transport],
    env: { PORT: String(port), DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) output.push(chunk);
  };
  const reading = Promise.all([read(child.stdout), read(child.stderr)]);
  await waitFor(
    () => /listening on port|running on/i.test(output.join("")),
    "the server to listen",
  );
  return {
    url: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await reading;
    },
  };
}

Deno.test("server-everything over streamable HTTP: tools listed, a call round-trips", async () => {
  await using server = await startEverything("streamableHttp");
  await using t = await startPool({
    remote: McpServerSchema.parse({ url: `${server.url}/mcp`, transport: "streamable_http" }),
  });
  const [status] = t.pool.statuses();
  assert.equal(status.state, "ready", status.error);
  assert.equal(status.transport, "streamable_http");
  const outcome = await t.registry.call("remote__echo", '{"message":"over http"}', toolContext());
  assert.deepEqual(outcome, { output: "Echo: over http", isError: false });
});

Deno.test("an SSE-only server is reached through the auto fallback", async () => {
  await using server = await startEverything("sse");
  await using t = await startPool({
    old: McpServerSchema.parse({ url: `${server.url}/sse` }),
  });
  const [status] = t.pool.statuses();
  assert.equal(status.state, "ready", status.error);
  assert.equal(status.transport, "sse");
  const outcome = await t.registry.call("old__get-sum", '{"a":1,"b":2}', toolContext());
  assert.match(outcome.output, /3/);
});

Deno.test("a remote server that is not there is reported with the reason", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await using t = await startPool({
    gone: McpServerSchema.parse({ url: `http://127.0.0.1:${port}/mcp`, connect_timeout: 5 }),
  });
  const [status] = t.pool.statuses();
  assert.equal(status.state, "failed");
  assert.match(status.error!, /refused|connect|fetch/i);
});
