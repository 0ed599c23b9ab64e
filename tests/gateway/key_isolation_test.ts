/**
 * Two API keys on one gateway cannot see each other's stored objects: responses, conversations
 * (by id and by name), input items and background runs are 404 to the other key, never 403.
 */
import assert from "node:assert/strict";
import { addNamedKey } from "../../config/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";

const ALICE = "alice-key-7d1f0a9c33e8b2";
const BOB = "bob-key-52c9e1f07a4d6b";

function client(url: string, key: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
}

Deno.test("two keys cannot see each other's responses, conversations, items or background runs", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: ALICE,
    configYaml: `api_server:\n  keys:\n    - name: bob\n      key: ${BOB}\n`,
  });
  const alice = client(g.gateway.url, ALICE);
  const bob = client(g.gateway.url, BOB);

  llm.enqueue({ text: "secret plan" }, { text: "alice again" }, { text: "bob's own" });
  const created = await alice("POST", "/v1/responses", {
    model: "herald",
    input: "remember the plan",
    conversation: "project-x",
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = created.body.id as string;

  // By id: retrieve, input items, delete, cancel, continue: all 404 for Bob.
  for (
    const [method, path] of [
      ["GET", `/v1/responses/${id}`],
      ["GET", `/v1/responses/${id}/input_items`],
      ["POST", `/v1/responses/${id}/cancel`],
      ["DELETE", `/v1/responses/${id}`],
    ] as const
  ) {
    const res = await bob(method, path);
    assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
  }
  const continued = await bob("POST", "/v1/responses", {
    model: "herald",
    input: "what was the plan?",
    previous_response_id: id,
  });
  // The same answer as for an id that never existed (OpenAI's 400 previous_response_not_found).
  const never = await bob("POST", "/v1/responses", {
    model: "herald",
    input: "what was the plan?",
    previous_response_id: "resp_0000000000000000000000000000dead",
  });
  assert.equal(continued.status, never.status, JSON.stringify(continued.body));
  assert.equal(continued.body.error.code, never.body.error.code);

  // By conversation name: Bob's "project-x" is a different, new conversation.
  const bobTurn = await bob("POST", "/v1/responses", {
    model: "herald",
    input: "hello",
    conversation: "project-x",
  });
  assert.equal(bobTurn.status, 200, JSON.stringify(bobTurn.body));
  const lastRequest = llm.requests.at(-1)!;
  assert.ok(
    !JSON.stringify(lastRequest.body).includes("remember the plan"),
    "Bob's turn must not see Alice's conversation",
  );

  // Conversations API objects: Alice's conversation id is 404 to Bob.
  const conv = await alice("POST", "/v1/conversations", { metadata: { owner: "alice" } });
  assert.equal(conv.status, 200);
  assert.equal((await bob("GET", `/v1/conversations/${conv.body.id}`)).status, 404);
  assert.equal((await bob("GET", `/v1/conversations/${conv.body.id}/items`)).status, 404);
  assert.equal((await bob("DELETE", `/v1/conversations/${conv.body.id}`)).status, 404);
  // The list is per key too.
  const listed = (r: { body: { data: { id: string }[] } }) => r.body.data.map((c) => c.id);
  assert.ok(!listed(await bob("GET", "/v1/conversations")).includes(conv.body.id));
  assert.ok(listed(await alice("GET", "/v1/conversations")).includes(conv.body.id));

  // Alice still has everything.
  assert.equal((await alice("GET", `/v1/responses/${id}`)).status, 200);
  assert.equal((await alice("GET", `/v1/conversations/${conv.body.id}`)).status, 200);
});

Deno.test("a background run of one key is 404 to another, and a key added at run time is isolated too", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({ upstream: llm.baseUrl, key: ALICE });
  const carol = await addNamedKey(g.home, "carol");
  const alice = client(g.gateway.url, ALICE);
  const c = client(g.gateway.url, carol.key);
  llm.enqueue({ text: "background work" });
  const bg = await c("POST", "/v1/responses", {
    model: "herald",
    input: "work quietly",
    background: true,
  });
  assert.equal(bg.status, 200, JSON.stringify(bg.body));
  assert.equal((await alice("GET", `/v1/responses/${bg.body.id}`)).status, 404);
  assert.equal((await alice("POST", `/v1/responses/${bg.body.id}/cancel`)).status, 404);
  const mine = await c("GET", `/v1/responses/${bg.body.id}`);
  assert.equal(mine.status, 200);
});

Deno.test("a chat-scoped key runs turns without server tools; a read-scoped key cannot run them", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({ upstream: llm.baseUrl, key: ALICE });
  const chat = await addNamedKey(g.home, "frontend", { scope: "chat" });
  const reader = await addNamedKey(g.home, "dashboard", { scope: "read" });
  llm.enqueue({ text: "full answer" }, { text: "chat answer" });
  const full = await client(g.gateway.url, ALICE)("POST", "/v1/chat/completions", {
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(full.status, 200);
  const fullTools = (llm.requests.at(-1)!.body as { tools?: unknown[] }).tools ?? [];
  assert.ok(fullTools.length > 0, "a full key's turn offers the server tools");
  const chatted = await client(g.gateway.url, chat.key)("POST", "/v1/chat/completions", {
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(chatted.status, 200);
  const chatTools = (llm.requests.at(-1)!.body as { tools?: unknown[] }).tools ?? [];
  assert.deepEqual(chatTools, [], "a chat key's turn offers no server tools");
  const refused = await client(g.gateway.url, reader.key)("POST", "/v1/chat/completions", {
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, "insufficient_scope");
  assert.equal((await client(g.gateway.url, reader.key)("GET", "/v1/models")).status, 200);
});

Deno.test("memory notes are per key: one key's notes never reach another key's system prompt", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: ALICE,
    configYaml: `api_server:\n  keys:\n    - name: bob\n      key: ${BOB}\n`,
  });
  const ask = (key: string) =>
    client(g.gateway.url, key)("POST", "/v1/chat/completions", {
      model: "herald",
      messages: [{ role: "user", content: "hi" }],
    });
  const note = "Alice's launch code is 7-4-1.";
  llm.enqueue(
    {
      toolCalls: [{ name: "memory", arguments: JSON.stringify({ action: "add", content: note }) }],
    },
    { text: "saved" },
    { text: "bob here" },
    { text: "alice here" },
  );
  assert.equal((await ask(ALICE)).status, 200);
  const system = () => JSON.stringify(llm.requests.at(-1)!.body.messages[0]);
  assert.equal((await ask(BOB)).status, 200);
  assert.ok(!system().includes("launch code"), "Bob's prompt must not hold Alice's note");
  assert.equal((await ask(ALICE)).status, 200);
  assert.ok(system().includes("launch code"), "Alice's prompt holds her note");
});
