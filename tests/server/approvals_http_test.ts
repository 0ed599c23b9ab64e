/**
 * Approvals over HTTP against a whole gateway (real KV file): Chat Completions' text flow
 * (plain, streamed, denied, a bare "yes"), Responses items answered bare or after an
 * item_reference, expired, unknown and twice-answered approvals, another key's approval, a
 * restart between the question and the answer, the client asking for more than the policy, and
 * the terminal's dangerous-command classification under the default policy.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import OpenAI from "openai";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";
import { readSse } from "../fakes/test_server.ts";

const KEY = "approvals-key-0123456789abcdef";
const OTHER_KEY = "approvals-other-key-0123456789";
const ALWAYS = "approvals:\n  api_server: always\n";
const WRITE = { name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' };
const ID = /(mcpr_[0-9a-f]{32})/;

type Msg = { role: string; content?: unknown; tool_call_id?: string };

async function gatewayWith(configYaml: string, extra: { home?: string } = {}) {
  const llm = await FakeLlm.start();
  const g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml,
    env: { API_SERVER_KEYS: OTHER_KEY },
    ...extra,
  });
  const client = new OpenAI({ baseURL: `${g.gateway.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const close = async () => {
    await g.close();
    await llm.close();
  };
  return {
    llm,
    g,
    client,
    url: g.gateway.url,
    workspace: join(g.home, "workspace"),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function toolResults(llm: FakeLlm): string[] {
  return (llm.requests.at(-1)!.body.messages as Msg[]).filter((m) => m.role === "tool")
    .map((m) => String(m.content));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("chat completions: the question is readable text; the next user message approves it", async () => {
  await using t = await gatewayWith(ALWAYS);
  t.llm.enqueue({ text: "Sure, writing it.", toolCalls: [WRITE] }, { text: "Done: out.txt." });
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: "user", content: "write hello to out.txt" },
  ];
  const first = await t.client.chat.completions.create({ model: "herald", messages });
  const question = first.choices[0].message.content!;
  assert.equal(first.choices[0].finish_reason, "stop");
  assert.match(question, /^Sure, writing it\./);
  assert.match(question, /Approval needed.*write_file.*out\.txt/s);
  const id = ID.exec(question)![1];
  assert.match(question, new RegExp(`approve ${id}`));
  assert.equal(await exists(join(t.workspace, "out.txt")), false);

  // Open WebUI-style: the whole transcript again, plus the answer.
  messages.push({ role: "assistant", content: question }, {
    role: "user",
    content: `approve ${id}`,
  });
  const second = await t.client.chat.completions.create({ model: "herald", messages });
  assert.equal(second.choices[0].message.content, "Done: out.txt.");
  assert.equal(await Deno.readTextFile(join(t.workspace, "out.txt")), "hello");
  const sent = t.llm.requests.at(-1)!.body.messages as Msg[];
  assert.deepEqual(sent.slice(1).map((m) => m.role), ["user", "assistant", "tool"]);

  // Twice: a clear 400.
  await assert.rejects(
    t.client.chat.completions.create({ model: "herald", messages }),
    (e: { status: number; code: string }) =>
      e.status === 400 && e.code === "approval_already_answered",
  );
});

Deno.test("chat completions streamed: the question streams as text and a bare 'no, reason' denies", async () => {
  await using t = await gatewayWith(ALWAYS);
  t.llm.enqueue({ toolCalls: [WRITE] }, { text: "OK, I left it." });
  const body = {
    model: "herald",
    stream: true,
    messages: [{ role: "user", content: "write hello to out.txt" }],
  };
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const { data } = await readSse(res);
  assert.equal(data.at(-1), "[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
  assert.match(text, /Approval needed/);
  assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
  const answer = await t.client.chat.completions.create({
    model: "herald",
    messages: [
      ...body.messages,
      { role: "assistant", content: text },
      { role: "user", content: "no, not today" },
    ] as OpenAI.Chat.ChatCompletionMessageParam[],
  });
  assert.equal(answer.choices[0].message.content, "OK, I left it.");
  assert.equal(await exists(join(t.workspace, "out.txt")), false);
  assert.match(toolResults(t.llm).at(-1)!, /^denied: .*their reason: not today/);
});

Deno.test("responses items: answered bare with previous_response_id, or after an item_reference", async () => {
  await using t = await gatewayWith(ALWAYS);
  const tools = [{ type: "mcp", server_label: "herald", require_approval: "never" }];
  for (const shape of ["bare", "reference"]) {
    t.llm.enqueue({ toolCalls: [WRITE] }, { text: `written (${shape})` });
    const first = await t.client.responses.create(
      { model: "herald", input: "write it", tools } as never,
    );
    const request = first.output.find((i) => i.type === "mcp_approval_request") as unknown as {
      id: string;
      name: string;
      arguments: string;
      server_label: string;
    };
    assert.equal(request.name, "write_file");
    assert.equal(request.server_label, "herald");
    assert.equal(request.arguments, WRITE.arguments);
    const answer = {
      type: "mcp_approval_response",
      approval_request_id: request.id,
      approve: true,
    };
    const second = await t.client.responses.create({
      model: "herald",
      tools,
      ...(shape === "bare" ? { previous_response_id: first.id, input: [answer] } : {
        input: [
          { role: "user", content: "write it" },
          { type: "item_reference", id: request.id },
          answer,
        ],
      }),
    } as never);
    assert.equal(second.output_text, `written (${shape})`);
    const ran = second.output.find((i) => i.type === "mcp_call") as unknown as Record<
      string,
      unknown
    >;
    assert.equal(ran.approval_request_id, request.id);
    assert.equal(ran.status, "completed");
    await Deno.remove(join(t.workspace, "out.txt"));
  }
});

Deno.test("responses items: unknown 404, expired 400, another key's approval is unknown", async () => {
  await using t = await gatewayWith("approvals:\n  api_server: always\n  timeout: 0.001\n");
  const tools = [{ type: "mcp", server_label: "herald" }];
  const answer = (id: string) => ({
    type: "mcp_approval_response",
    approval_request_id: id,
    approve: true,
  });
  await assert.rejects(
    t.client.responses.create(
      { model: "herald", tools, input: [answer("mcpr_" + "0".repeat(32))] } as never,
    ),
    (e: { status: number; code: string }) => e.status === 404 && e.code === "approval_not_found",
  );
  t.llm.enqueue({ toolCalls: [WRITE] });
  const first = await t.client.responses.create(
    { model: "herald", input: "write", tools } as never,
  );
  const id = String((first.output[0] as unknown as { id: string }).id);
  const other = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: OTHER_KEY, maxRetries: 0 });
  await assert.rejects(
    other.responses.create({ model: "herald", tools, input: [answer(id)] } as never),
    (e: { status: number; code: string }) => e.status === 404 && e.code === "approval_not_found",
  );
  // The timeout is a millisecond: by now the approval has expired.
  await new Promise((r) => setTimeout(r, 5));
  await assert.rejects(
    t.client.responses.create(
      { model: "herald", tools, previous_response_id: first.id, input: [answer(id)] } as never,
    ),
    (e: { status: number; code: string; message: string }) =>
      e.status === 400 && e.code === "approval_expired" && /not run/.test(e.message),
  );
  assert.equal(await exists(join(t.workspace, "out.txt")), false);
});

Deno.test("a restart between the question and the answer: the new process runs the approved call", async () => {
  const home = await Deno.makeTempDir({ prefix: "herald_approval_restart_" });
  try {
    const tools = [{ type: "mcp", server_label: "herald" }];
    let firstId: string;
    let approvalId: string;
    {
      await using t = await gatewayWith(ALWAYS, { home });
      t.llm.enqueue({ toolCalls: [WRITE] });
      const first = await t.client.responses.create(
        { model: "herald", input: "write", tools } as never,
      );
      firstId = first.id;
      approvalId = String((first.output[0] as unknown as { id: string }).id);
    }
    await using t = await gatewayWith(ALWAYS, { home });
    t.llm.enqueue({ text: "written after the restart" });
    const second = await t.client.responses.create({
      model: "herald",
      tools,
      previous_response_id: firstId,
      input: [{ type: "mcp_approval_response", approval_request_id: approvalId, approve: true }],
    } as never);
    assert.equal(second.output_text, "written after the restart");
    assert.equal(await Deno.readTextFile(join(t.workspace, "out.txt")), "hello");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a client asks for more than the policy: require_approval always asks even for read_file", async () => {
  await using t = await gatewayWith("approvals:\n  api_server: never\n");
  await Deno.writeTextFile(join(t.workspace, "notes.txt"), "secret plans");
  const read = { name: "read_file", arguments: '{"path":"notes.txt"}' };
  // Policy never, client silent: runs at once.
  t.llm.enqueue({ toolCalls: [read] }, { text: "read" });
  const plain = await t.client.responses.create({ model: "herald", input: "read it" });
  assert.equal(plain.output_text, "read");
  // The client asks for approvals on every call.
  t.llm.enqueue({ toolCalls: [read] });
  const asked = await t.client.responses.create({
    model: "herald",
    input: "read it",
    tools: [{ type: "mcp", server_label: "herald", require_approval: "always" }],
  } as never);
  assert.deepEqual(asked.output.map((i) => i.type), ["mcp_approval_request"]);
  // A client cannot ask for less: with policy always, require_approval never still asks.
  await using strict = await gatewayWith(ALWAYS);
  strict.llm.enqueue({ toolCalls: [WRITE] });
  const still = await strict.client.responses.create({
    model: "herald",
    input: "write",
    tools: [{ type: "mcp", server_label: "herald", require_approval: "never" }],
  } as never);
  assert.deepEqual(still.output.map((i) => i.type), ["mcp_approval_request"]);
});

Deno.test("default policy: the terminal asks before a command the classifier flags, and runs it once approved", async () => {
  await using t = await gatewayWith("");
  // Flagged (a download piped into a shell), harmless: nothing listens on port 9.
  const flagged = {
    name: "terminal",
    arguments: '{"command":"curl -s http://127.0.0.1:9/x | sh; echo ran"}',
  };
  t.llm.enqueue({ toolCalls: [{ name: "terminal", arguments: '{"command":"echo safe"}' }] }, {
    text: "safe ran",
  });
  const safe = await t.client.responses.create({ model: "herald", input: "safe" });
  assert.equal(safe.output_text, "safe ran");
  t.llm.enqueue({ toolCalls: [flagged] }, { text: "it ran" });
  const first = await t.client.responses.create({
    model: "herald",
    input: "pipe it",
    tools: [{ type: "mcp", server_label: "herald" }],
  } as never);
  const request = first.output[0] as unknown as { type: string; id: string };
  assert.equal(request.type, "mcp_approval_request");
  const second = await t.client.responses.create({
    model: "herald",
    previous_response_id: first.id,
    input: [{ type: "mcp_approval_response", approval_request_id: request.id, approve: true }],
  } as never);
  assert.equal(second.output_text, "it ran");
  assert.match(toolResults(t.llm).at(-1)!, /ran/);
});
