/**
 * MCP servers through the whole gateway: real MCP servers from the npm registry (and the SDK-built
 * fixture) configured in config.yaml, driven by turns from the fake upstream.
 */
import assert from "node:assert/strict";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { FIXTURE_SERVER, SERVER_EVERYTHING } from "../fakes/mcp_servers.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";
import { waitFor } from "../mcp/helpers.ts";

const KEY = "gateway-key-mcp-5c0e7a93d1b4";
const JSON_AUTH = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };

/** config.yaml lines for a stdio server run with `deno run -A <spec> ...args`. */
function stdioServer(
  name: string,
  spec: string,
  args: string[] = [],
  extra = "",
  more: string[] = [],
): string {
  const denoDir = Deno.env.get("DENO_DIR");
  return [
    `  ${name}:`,
    `    command: ${JSON.stringify(Deno.execPath())}`,
    `    args: ${JSON.stringify(["run", "-A", "--quiet", spec, ...args])}`,
    `    env: { DENO_NO_UPDATE_CHECK: "1"${
      denoDir ? `, DENO_DIR: ${JSON.stringify(denoDir)}` : ""
    }${extra ? `, ${extra}` : ""} }`,
    `    connect_timeout: 300`,
    // Deno's package cache is in the home folder, which the sandbox hides.
    `    sandbox: false`,
    ...more.map((line) => `    ${line}`),
  ].join("\n");
}

function chat(url: string, body: unknown, signal?: AbortSignal) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    signal,
    headers: JSON_AUTH,
    body: JSON.stringify(body),
  });
}

Deno.test("an MCP server's tools reach the model, and a call round-trips to the server", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: `mcp:\n  startup_wait: 300\nmcp_servers:\n${
      stdioServer("everything", SERVER_EVERYTHING, ["stdio"])
    }\n`,
  });
  assert.match(g.log.join("\n"), /MCP +everything \(\d+ tools\)/);
  llm.enqueue(
    { toolCalls: [{ name: "everything__echo", arguments: '{"message":"from the model"}' }] },
    { text: "The server said it." },
  );
  const res = await chat(g.gateway.url, {
    model: "herald",
    messages: [{ role: "user", content: "echo something" }],
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.choices[0].message.content, "The server said it.");
  const offered = llm.requests[0].body.tools!.find((t) => t.function.name === "everything__echo");
  assert.equal(offered.function.description, "Echoes back the input string");
  assert.deepEqual(offered.function.parameters.required, ["message"]);
  const toolMessage = llm.requests[1].body.messages.find((m) => m.role === "tool");
  assert.equal(toolMessage.content, "Echo: from the model");
});

Deno.test("in the Responses API an MCP server's call is an mcp_call item with its own server_label", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: `mcp:\n  startup_wait: 300\nmcp_servers:\n${
      stdioServer("everything", SERVER_EVERYTHING, ["stdio"])
    }\n`,
  });
  llm.enqueue(
    { toolCalls: [{ name: "everything__get-sum", arguments: '{"a":2,"b":3}' }] },
    { text: "Five." },
  );
  const res = await fetch(`${g.gateway.url}/v1/responses`, {
    method: "POST",
    headers: JSON_AUTH,
    body: JSON.stringify({ model: "herald", input: "add 2 and 3" }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  const call = body.output.find((item: { type: string }) => item.type === "mcp_call");
  assert.equal(call.server_label, "everything");
  assert.equal(call.name, "everything__get-sum");
  assert.match(call.output, /5/);
  assert.equal(body.output.some((item: { type: string }) => item.type === "function_call"), false);
});

Deno.test("a slow MCP call is cancelled on the server when the client leaves", async () => {
  const dir = await Deno.makeTempDir();
  const logPath = `${dir}/fixture.log`;
  try {
    await using llm = await FakeLlm.start();
    await using g = await startTestGateway({
      upstream: llm.baseUrl,
      key: KEY,
      configYaml: `mcp:\n  startup_wait: 300\nmcp_servers:\n${
        // `wait` is not marked read-only, so the default policy would ask first: this server's
        // own policy says never.
        stdioServer("fixture", FIXTURE_SERVER, [], `FIXTURE_LOG: ${JSON.stringify(logPath)}`, [
          "approval: never",
        ])}\n`,
    });
    llm.enqueue({ toolCalls: [{ name: "fixture__wait", arguments: "{}" }] }, { text: "never" });
    const controller = new AbortController();
    const res = await chat(g.gateway.url, {
      model: "herald",
      stream: true,
      messages: [{ role: "user", content: "wait" }],
    }, controller.signal);
    const reader = res.body!.getReader();
    reader.read().catch(() => {});
    await waitFor(
      async () => (await Deno.readTextFile(logPath).catch(() => "")).includes("wait started"),
      "the call to reach the server",
    );
    controller.abort();
    await waitFor(
      async () => (await Deno.readTextFile(logPath)).includes("wait cancelled"),
      "the server to receive the cancellation",
    );
    await reader.cancel().catch(() => {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server that fails is in the banner with its reason, and the gateway runs without it", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml:
      "mcp:\n  startup_wait: 60\nmcp_servers:\n  broken:\n    command: /nonexistent/mcp\n",
  });
  const banner = g.log.join("\n");
  assert.match(banner, /MCP +broken failed/);
  // Unsandboxed: "program not found: …"; in bubblewrap: "bwrap: execvp …: No such file…".
  assert.match(
    banner,
    /warning: MCP server broken failed: .*\/nonexistent\/mcp/,
  );
  assert.match(banner, /program not found|No such file/);
  const res = await chat(g.gateway.url, {
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

Deno.test("/health answers while an MCP server hangs at start-up", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: `mcp:\n  startup_wait: 0\nmcp_servers:\n${
      stdioServer("hung", FIXTURE_SERVER, [], 'FIXTURE_HANG: "1"')
    }\n`,
  });
  const res = await fetch(`${g.gateway.url}/health`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.match(g.log.join("\n"), /MCP +hung connecting/);
  assert.equal(g.gateway.mcpServers!.statuses()[0].state, "connecting");
});

Deno.test("a platform toolset can offer one MCP tool and leave the rest of its server out", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml:
      `mcp:\n  startup_wait: 300\ntoolsets:\n  api_server: [read_file, "mcp:everything/echo"]\nmcp_servers:\n${
        stdioServer("everything", SERVER_EVERYTHING, ["stdio"])
      }\n`,
  });
  const res = await chat(g.gateway.url, {
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
  });
  await res.body?.cancel();
  const names = llm.requests[0].body.tools!.map((t) => t.function.name);
  assert.deepEqual(names, ["read_file", "everything__echo"]);
});

Deno.test("a call of an MCP tool not marked read-only waits for approval under the default policy", async () => {
  const dir = await Deno.makeTempDir();
  const logPath = `${dir}/fixture.log`;
  try {
    await using llm = await FakeLlm.start();
    await using g = await startTestGateway({
      upstream: llm.baseUrl,
      key: KEY,
      configYaml: `mcp:\n  startup_wait: 300\nmcp_servers:\n${
        stdioServer("fixture", FIXTURE_SERVER, [], `FIXTURE_LOG: ${JSON.stringify(logPath)}`)
      }\n`,
    });
    llm.enqueue({ toolCalls: [{ name: "fixture__add_tool", arguments: '{"name":"x"}' }] });
    const res = await chat(g.gateway.url, {
      model: "herald",
      messages: [{ role: "user", content: "add a tool" }],
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.match(body.choices[0].message.content, /fixture__add_tool/);
    assert.match(body.choices[0].message.content, /does not mark add_tool as read-only/);
    assert.equal((await Deno.readTextFile(logPath)).includes("added"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
