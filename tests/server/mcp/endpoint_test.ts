/**
 * Herald as an MCP server: the official SDK's client against `/mcp` on a whole gateway.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { sharedFileHelperPool } from "../../../agent/mod.ts";
import { eventually } from "../../fakes/eventually.ts";
import { FakeLlm } from "../../fakes/fake_llm.ts";
import { startTestGateway } from "../../fakes/test_gateway.ts";

const KEY = "gateway-key-mcp-endpoint-0a1b2c";
const OTHER_KEY = "gateway-key-mcp-endpoint-other";

async function connect(url: string, key = KEY): Promise<Client> {
  const client = new Client({ name: "endpoint-test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

function textOf(result: { content?: unknown }): string {
  return (result.content as { type: string; text: string }[]).map((c) => c.text).join("");
}

Deno.test("an MCP client lists Herald's tools and asks it something, with progress", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({ upstream: llm.baseUrl, key: KEY });
  const client = await connect(g.gateway.url);
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t: { name: string }) => t.name), ["ask"]);
    assert.deepEqual(tools[0].inputSchema.required, ["input"]);
    llm.enqueue(
      { toolCalls: [{ name: "read_file", arguments: '{"path":"missing.txt"}' }] },
      { text: "There is no such file." },
    );
    const progress: string[] = [];
    const result = await client.callTool(
      { name: "ask", arguments: { input: "read missing.txt" } },
      undefined,
      {
        onprogress: (p: { message?: string }) => progress.push(p.message ?? ""),
      },
    );
    assert.equal(result.isError, undefined);
    assert.equal(textOf(result), "There is no such file.");
    assert.ok(progress.includes("running read_file"), progress.join(" | "));
    assert.ok(progress.includes("read_file failed"), progress.join(" | "));
    assert.equal(llm.requests[0].body.messages.at(-1).content, "read missing.txt");
  } finally {
    await client.close();
  }
});

Deno.test("ask on a named conversation continues it; another key does not see it", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    env: { API_SERVER_KEYS: OTHER_KEY },
  });
  const client = await connect(g.gateway.url);
  const other = await connect(g.gateway.url, OTHER_KEY);
  try {
    llm.enqueue({ text: "Noted: blue." }, { text: "Blue." }, { text: "I do not know." });
    await client.callTool({
      name: "ask",
      arguments: { input: "My colour is blue.", conversation: "c1" },
    });
    const second = await client.callTool({
      name: "ask",
      arguments: { input: "What is my colour?", conversation: "c1" },
    });
    assert.equal(textOf(second), "Blue.");
    const history = llm.requests[1].body.messages.map((m) => `${m.role}: ${m.content}`);
    assert.ok(history.includes("user: My colour is blue."), history.join("\n"));
    assert.ok(history.includes("assistant: Noted: blue."), history.join("\n"));
    await other.callTool({
      name: "ask",
      arguments: { input: "What is my colour?", conversation: "c1" },
    });
    const foreign = llm.requests[2].body.messages.map((m) => String(m.content));
    assert.equal(foreign.includes("My colour is blue."), false);
  } finally {
    await client.close();
    await other.close();
  }
});

Deno.test("cancelling an ask stops the turn and its upstream request", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({ upstream: llm.baseUrl, key: KEY });
  const client = await connect(g.gateway.url);
  try {
    llm.enqueue({ hang: true });
    const controller = new AbortController();
    const call = client.callTool(
      { name: "ask", arguments: { input: "take your time" } },
      undefined,
      {
        signal: controller.signal,
      },
    );
    await llm.waitForRequests(1);
    controller.abort();
    await assert.rejects(call);
    await llm.waitForCancelledStreams(1);
  } finally {
    await client.close();
  }
});

Deno.test("/mcp refuses a request without the key (401) and a foreign Origin (403)", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({ upstream: llm.baseUrl, key: KEY });
  const initialize = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "x", version: "1" },
    },
  });
  const headers = {
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
  };
  const anonymous = await fetch(`${g.gateway.url}/mcp`, {
    method: "POST",
    headers,
    body: initialize,
  });
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
  const foreign = await fetch(`${g.gateway.url}/mcp`, {
    method: "POST",
    headers: { ...headers, Authorization: `Bearer ${KEY}`, Origin: "https://evil.example" },
    body: initialize,
  });
  assert.equal(foreign.status, 403);
  await foreign.body?.cancel();
  const client = new Client({ name: "no-key", version: "1" });
  await assert.rejects(
    client.connect(new StreamableHTTPClientTransport(new URL(`${g.gateway.url}/mcp`))),
  );
  await client.close();
});

Deno.test("with mcp.expose_tools, an MCP client can call Herald's own tools directly", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: "mcp:\n  expose_tools: true\ntoolsets:\n  api_server: [read_file, search_files]\n",
  });
  await Deno.writeTextFile(`${g.home}/workspace/note.txt`, "hello from the workspace\n");
  const client = await connect(g.gateway.url);
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t: { name: string }) => t.name), [
      "ask",
      "read_file",
      "search_files",
    ]);
    // The pool is the process's: helpers of earlier tests' turns may still be on their way out.
    await eventually(() => sharedFileHelperPool.size === 0, "earlier tests' helpers to end");
    const kept = 0;
    const result = await client.callTool({ name: "read_file", arguments: { path: "note.txt" } });
    assert.match(textOf(result), /hello from the workspace/);
    // The session keeps one file helper for its calls, as a turn does, instead of one per call.
    assert.equal(sharedFileHelperPool.size, kept + 1, "the session keeps its helper");
    const again = await client.callTool({ name: "read_file", arguments: { path: "note.txt" } });
    assert.match(textOf(again), /hello from the workspace/);
    assert.equal(sharedFileHelperPool.size, kept + 1, "the second call reused it");
    // Ending the session ends its helper.
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await eventually(() => sharedFileHelperPool.size === kept, "the helper ended with the session");
  } finally {
    await client.close();
  }
});

Deno.test("a call that needs approval is asked through MCP elicitation, and denied when the client cannot answer", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: "approvals:\n  api_server: always\n",
  });
  const write = (path: string) => ({
    toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path, content: "x" }) }],
  });
  // A client that answers elicitation requests approves the call: the file is written.
  const asking: string[] = [];
  const answering = new Client({ name: "approver", version: "1" }, {
    capabilities: { elicitation: { form: {} } },
  });
  answering.setRequestHandler(ElicitRequestSchema, (request: { params: { message: string } }) => {
    asking.push(request.params.message);
    return { action: "accept", content: { approve: true } };
  });
  await answering.connect(
    new StreamableHTTPClientTransport(new URL(`${g.gateway.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${KEY}` } },
    }),
  );
  const plain = await connect(g.gateway.url);
  try {
    llm.enqueue(write("approved.txt"), { text: "Written." });
    await answering.callTool({ name: "ask", arguments: { input: "write approved.txt" } });
    assert.match(asking[0], /write_file/);
    assert.equal(await Deno.readTextFile(`${g.home}/workspace/approved.txt`), "x");
    // A client without elicitation cannot approve: the call is denied, never run unasked.
    llm.enqueue(write("denied.txt"), { text: "It was denied." });
    await plain.callTool({ name: "ask", arguments: { input: "write denied.txt" } });
    const result = llm.requests.at(-1)!.body.messages.find((m) => m.role === "tool");
    assert.match(result.content, /^denied/);
    await assert.rejects(Deno.stat(`${g.home}/workspace/denied.txt`), Deno.errors.NotFound);
  } finally {
    await answering.close();
    await plain.close();
  }
});

Deno.test("an MCP client that disconnects mid-ask stops the turn", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({ upstream: llm.baseUrl, key: KEY });
  const client = await connect(g.gateway.url);
  llm.enqueue({ hang: true });
  const call = client.callTool({ name: "ask", arguments: { input: "take your time" } });
  await llm.waitForRequests(1);
  // Closing drops the HTTP connection without an MCP cancellation: the request's end is the signal.
  await client.close();
  await assert.rejects(call);
  await llm.waitForCancelledStreams(1);
});
