import assert from "node:assert/strict";
import { McpServerSchema } from "../../config/mod.ts";
import {
  denoStdioServer,
  FIXTURE_SERVER,
  SERVER_EVERYTHING,
  SERVER_MEMORY,
} from "../fakes/mcp_servers.ts";
import { startPool, toolContext, waitFor } from "./helpers.ts";

Deno.test("server-everything over stdio: its tools are registered as <server>__<tool> and a call round-trips", async () => {
  await using t = await startPool({ everything: denoStdioServer(SERVER_EVERYTHING, ["stdio"]) });
  const [status] = t.pool.statuses();
  assert.equal(status.state, "ready", status.error);
  const echo = t.registry.get("everything__echo");
  assert.ok(echo, `registered: ${t.registry.names().join(", ")}`);
  assert.equal(echo.description, "Echoes back the input string");
  assert.equal(echo.origin, "everything");
  assert.equal(echo.mcp?.name, "echo");
  const [spec] = t.registry.specs(["everything__echo"]);
  assert.deepEqual((spec.function.parameters as { required: string[] }).required, ["message"]);
  assert.equal("$schema" in spec.function.parameters, false);
  const outcome = await t.registry.call("everything__echo", '{"message":"hi"}', toolContext());
  assert.deepEqual(outcome, { output: "Echo: hi", isError: false });
  assert.ok(t.log.some((l) => /^mcp: everything ready \(\d+ tools\)$/.test(l)), t.log.join("\n"));
});

Deno.test("server-everything results: structured content, images and embedded resources become text", async () => {
  await using t = await startPool({ everything: denoStdioServer(SERVER_EVERYTHING, ["stdio"]) });
  const ctx = toolContext();
  const structured = await t.registry.call(
    "everything__get-structured-content",
    '{"location":"Chicago"}',
    ctx,
  );
  assert.match(structured.output, /"temperature":/);
  const image = await t.registry.call("everything__get-tiny-image", "{}", ctx);
  assert.match(image.output, /\[image image\/png, \d+ bytes, not shown\]/);
  const resource = await t.registry.call(
    "everything__get-resource-reference",
    '{"resourceType":"Text","resourceId":2}',
    ctx,
  );
  assert.match(
    resource.output,
    /\[resource demo:\/\/resource\/dynamic\/text\/2 \(text\/plain\)\]\nResource 2:/,
  );
});

Deno.test("server-memory over stdio: entities written by one call are read by the next", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await startPool({
      memory: denoStdioServer(SERVER_MEMORY, [], {
        env: { MEMORY_FILE_PATH: `${dir}/memory.jsonl` },
      }),
    });
    const ctx = toolContext();
    const created = await t.registry.call(
      "memory__create_entities",
      JSON.stringify({
        entities: [{ name: "Herald", entityType: "project", observations: ["speaks MCP"] }],
      }),
      ctx,
    );
    assert.equal(created.isError, false, created.output);
    const graph = await t.registry.call("memory__read_graph", "{}", ctx);
    assert.match(graph.output, /speaks MCP/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tools/list_changed from the server refreshes the registered tools", async () => {
  await using t = await startPool({ fixture: denoStdioServer(FIXTURE_SERVER) });
  assert.equal(t.registry.get("fixture__late"), undefined);
  await t.registry.call("fixture__add_tool", '{"name":"late"}', toolContext());
  await waitFor(() => t.registry.get("fixture__late"), "the new tool to be registered");
  const ran = await t.registry.call("fixture__late", "{}", toolContext());
  assert.equal(ran.output, "late ran");
});

Deno.test("a crashing server is reported with its reason and restarted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logPath = `${dir}/fixture.log`;
    await using t = await startPool({
      fixture: denoStdioServer(FIXTURE_SERVER, [], { env: { FIXTURE_LOG: logPath } }),
    });
    const crashed = await t.registry.call("fixture__crash", "{}", toolContext());
    assert.equal(crashed.isError, true);
    const failure = await waitFor(
      () => t.log.find((l) => l.startsWith("mcp: fixture failed:")),
      "the failure to be logged",
    );
    assert.match(failure, /exit code 3/);
    assert.match(failure, /fixture crashing on purpose/);
    await waitFor(
      async () =>
        (await Deno.readTextFile(logPath)).split("\n").filter((l) => l === "started").length === 2,
      "the server to be started again",
    );
    await waitFor(() => t.pool.statuses()[0].state === "ready", "the server to be ready again");
    const again = await t.registry.call("fixture__big", '{"chars":3}', toolContext());
    assert.equal(again.output, "yyy");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an aborted call sends MCP's cancellation to the server", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logPath = `${dir}/fixture.log`;
    await using t = await startPool({
      fixture: denoStdioServer(FIXTURE_SERVER, [], { env: { FIXTURE_LOG: logPath } }),
    });
    const controller = new AbortController();
    const call = t.registry.call("fixture__wait", "{}", toolContext(controller.signal));
    await waitFor(
      async () => (await Deno.readTextFile(logPath)).includes("wait started"),
      "the call to start",
    );
    controller.abort();
    const outcome = await call;
    assert.deepEqual(outcome, { output: "error: interrupted", isError: true });
    await waitFor(
      async () => (await Deno.readTextFile(logPath)).includes("wait cancelled"),
      "the server to see the cancellation",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a call over the server's time limit fails with a readable error and is cancelled", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logPath = `${dir}/fixture.log`;
    await using t = await startPool({
      fixture: denoStdioServer(FIXTURE_SERVER, [], { env: { FIXTURE_LOG: logPath }, timeout: 0.3 }),
    });
    const outcome = await t.registry.call("fixture__wait", "{}", toolContext());
    assert.equal(outcome.isError, true);
    assert.match(outcome.output, /timed out/i);
    await waitFor(
      async () => (await Deno.readTextFile(logPath)).includes("wait cancelled"),
      "the server to see the cancellation",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("oversized results are capped with a note; isError results stay errors", async () => {
  await using t = await startPool({ fixture: denoStdioServer(FIXTURE_SERVER) }, {
    maxResultChars: 1000,
  });
  const big = await t.registry.call("fixture__big", '{"chars":5000}', toolContext());
  assert.equal(
    big.output,
    `${"y".repeat(1000)}\n[output truncated: showing 1000 of 5000 characters]`,
  );
  const failed = await t.registry.call("fixture__fail", "{}", toolContext());
  assert.deepEqual(failed, { output: "it went wrong", isError: true });
});

Deno.test("a stdio server gets only the configured environment, never Herald's secrets", async () => {
  await using t = await startPool(
    { fixture: denoStdioServer(FIXTURE_SERVER, [], { env: { GIVEN: "${SHARED_VALUE}" } }) },
    { env: { OPENAI_API_KEY: "sk-secret-value-0123456789", SHARED_VALUE: "passed on purpose" } },
  );
  const outcome = await t.registry.call("fixture__env", "{}", toolContext());
  const env = JSON.parse(outcome.output);
  assert.equal(env.GIVEN, "passed on purpose");
  assert.equal(env.OPENAI_API_KEY, undefined);
  assert.equal(env.SHARED_VALUE, undefined);
});

Deno.test("a server that never answers fails after connect_timeout and the pool does not wait on it", async () => {
  await using t = await startPool({
    hung: denoStdioServer(FIXTURE_SERVER, [], { env: { FIXTURE_HANG: "1" }, connect_timeout: 0.5 }),
    ok: denoStdioServer(FIXTURE_SERVER),
  });
  const [hung, ok] = t.pool.statuses();
  assert.equal(ok.state, "ready");
  assert.notEqual(hung.state, "ready");
  const failure = await waitFor(
    () => t.log.find((l) => l.startsWith("mcp: hung failed:")),
    "the failure",
  );
  assert.match(failure, /no answer within 0.5 s/);
});

Deno.test("a missing program, a missing variable and a disabled server are reported, not thrown", async () => {
  await using t = await startPool({
    missing: McpServerSchema.parse({ command: "/nonexistent/mcp-server" }),
    unset: denoStdioServer(FIXTURE_SERVER, [], { env: { TOKEN: "${NOT_SET_ANYWHERE}" } }),
    off: denoStdioServer(FIXTURE_SERVER, [], { enabled: false }),
  });
  const [missing, unset, off] = t.pool.statuses();
  assert.equal(missing.state, "failed");
  assert.match(missing.error!, /program not found: \/nonexistent\/mcp-server/);
  assert.equal(unset.state, "failed");
  assert.match(unset.error!, /env TOKEN uses \$\{NOT_SET_ANYWHERE\}, which is not set/);
  assert.equal(off.state, "disabled");
  assert.equal(t.registry.names().length, 0);
});

Deno.test("include_tools and exclude_tools choose which tools are offered", async () => {
  await using t = await startPool({
    a: denoStdioServer(FIXTURE_SERVER, [], { include_tools: ["big", "env"] }),
    b: denoStdioServer(FIXTURE_SERVER, [], { exclude_tools: ["crash", "wait"] }),
  });
  assert.deepEqual(t.registry.names().filter((n) => n.startsWith("a__")), ["a__big", "a__env"]);
  const b = t.registry.names().filter((n) => n.startsWith("b__")).sort();
  assert.deepEqual(b, ["b__add_tool", "b__big", "b__env", "b__fail"]);
});
