import assert from "node:assert/strict";
import OpenAI from "openai";
import { startResponsesServer } from "./harness.ts";
import { TEST_KEY } from "../../fakes/test_server.ts";

Deno.test("the Conversations API creates, pages, adds, deletes items and carries context", async () => {
  await using s = await startResponsesServer();
  const conv = await s.client.conversations.create({
    metadata: { topic: "pets" },
    items: [{ type: "message", role: "user", content: "My dog is Rex." }],
  });
  assert.match(conv.id, /^conv_/);
  assert.equal(conv.object, "conversation");
  assert.deepEqual(conv.metadata, { topic: "pets" });

  const r = await s.client.responses.create({
    model: "h",
    input: "What is my dog called?",
    conversation: conv.id,
  });
  assert.deepEqual((r as unknown as { conversation: unknown }).conversation, { id: conv.id });
  const sent = s.llm.requests.at(-1)!.body.messages.slice(1).map((m: { content: string }) =>
    m.content
  );
  assert.deepEqual(sent, ["My dog is Rex.", "What is my dog called?"]);

  const items: string[] = [];
  for await (const item of s.client.conversations.items.list(conv.id, { limit: 1, order: "asc" })) {
    assert.ok(item.id);
    items.push(item.type);
  }
  assert.deepEqual(items, ["message", "message", "message"]);
  const desc = await s.client.conversations.items.list(conv.id);
  const last = desc.data[0] as { role: string; content: { text: string }[] };
  assert.equal(last.role, "assistant");
  assert.equal(last.content[0].text, "echo: What is my dog called?");

  const added = await s.client.conversations.items.create(conv.id, {
    items: [{ type: "message", role: "user", content: "He is 3." }],
  });
  const addedId = added.data[0].id!;
  const one = await s.client.conversations.items.retrieve(addedId, { conversation_id: conv.id });
  assert.equal(one.id, addedId);
  const afterDelete = await s.client.conversations.items.delete(addedId, {
    conversation_id: conv.id,
  });
  assert.equal(afterDelete.id, conv.id);
  assert.equal(afterDelete.object, "conversation");

  const updated = await s.client.conversations.update(conv.id, { metadata: { topic: "dogs" } });
  assert.deepEqual(updated.metadata, { topic: "dogs" });
  assert.deepEqual((await s.client.conversations.retrieve(conv.id)).metadata, { topic: "dogs" });
  const deleted = await s.client.conversations.delete(conv.id);
  assert.deepEqual(deleted, { id: conv.id, object: "conversation.deleted", deleted: true });
  await assert.rejects(s.client.conversations.retrieve(conv.id), OpenAI.NotFoundError);
});

type Listed = { id: string; object: string; created_at: number; metadata: Record<string, string> };

Deno.test("GET /v1/conversations lists by last activity and pages with the openai client", async () => {
  await using s = await startResponsesServer();
  const a = await s.client.conversations.create({ metadata: { title: "first" } });
  const b = await s.client.conversations.create({});
  const c = await s.client.conversations.create({});
  const list = () => s.client.get<{ data: Listed[]; has_more: boolean }>("/conversations");
  assert.deepEqual((await list()).data.map((x) => x.id), [c.id, b.id, a.id]);
  assert.deepEqual((await list()).data[2], { ...a, metadata: { title: "first" } });

  // A Responses turn on a conversation moves it to the top.
  await s.client.responses.create({ model: "h", input: "hello", conversation: a.id });
  assert.deepEqual((await list()).data.map((x) => x.id), [a.id, c.id, b.id]);

  // Auto-paging through the SDK's own cursor page (it sends `after=<last_id>`).
  const seen: string[] = [];
  for await (
    const conv of s.client.getAPIList<Listed, OpenAI.ConversationCursorPage<Listed>>(
      "/conversations",
      OpenAI.ConversationCursorPage<Listed>,
      {
        query: { limit: 1 },
      },
    )
  ) seen.push(conv.id);
  assert.deepEqual(seen, [a.id, c.id, b.id]);
  const asc = await s.client.get<{ data: Listed[]; first_id: string; last_id: string }>(
    "/conversations",
    { query: { order: "asc", limit: 2 } },
  );
  assert.deepEqual(asc.data.map((x) => x.id), [b.id, c.id]);
  assert.equal(asc.first_id, b.id);
  assert.equal(asc.last_id, c.id);

  await s.client.conversations.delete(c.id);
  assert.deepEqual((await list()).data.map((x) => x.id), [a.id, b.id]);
});

Deno.test("bad list query parameters are a 400 naming the parameter", async () => {
  await using s = await startResponsesServer();
  const conv = await s.client.conversations.create({});
  const cases: [string, string][] = [
    ["/v1/conversations?limit=0", "limit"],
    ["/v1/conversations?limit=101", "limit"],
    ["/v1/conversations?limit=ten", "limit"],
    ["/v1/conversations?order=newest", "order"],
    ["/v1/conversations?after=conv_unknown", "after"],
    ["/v1/conversations?before=", "before"],
    ["/v1/conversations?page=2", "page"],
    [`/v1/conversations/${conv.id}/items?after=msg_unknown`, "after"],
    [`/v1/conversations/${conv.id}/items?limit=-1`, "limit"],
  ];
  for (const [path, param] of cases) {
    const res = await fetch(`${s.url}${path}`, {
      headers: { Authorization: `Bearer ${TEST_KEY}` },
    });
    const body = await res.json();
    assert.equal(res.status, 400, path);
    assert.equal(body.error.type, "invalid_request_error", path);
    assert.equal(body.error.param, param, path);
    assert.ok(body.error.message.length > 10, path);
  }
});

Deno.test("metadata updates replace the whole set, and its limits are clear 400s", async () => {
  await using s = await startResponsesServer();
  const conv = await s.client.conversations.create({ metadata: { title: "Trip", topic: "x" } });
  const renamed = await s.client.conversations.update(conv.id, {
    metadata: { title: "Trip to Rome" },
  });
  assert.deepEqual(renamed.metadata, { title: "Trip to Rome" });
  const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
  const bad: [Record<string, string>, RegExp][] = [
    [tooMany, /at most 16 keys/],
    [{ ["k".repeat(65)]: "v" }, /64 characters/],
    [{ title: "v".repeat(513) }, /512 characters/],
  ];
  for (const [metadata, message] of bad) {
    const err = await s.client.conversations.update(conv.id, { metadata }).catch((e) => e);
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.match(err.message, message);
    assert.match(String(err.param), /^metadata/);
  }
  assert.deepEqual((await s.client.conversations.retrieve(conv.id)).metadata, {
    title: "Trip to Rome",
  });
});

Deno.test("a conversation name used with Responses is listed, renamed, read and deleted as a conversation", async () => {
  await using s = await startResponsesServer();
  const conv = await s.client.conversations.create({});
  const first = await s.client.responses.create({ model: "h", input: "one", conversation: "trip" });
  const list = async () =>
    (await s.client.get<{ data: Listed[] }>("/conversations")).data.map((x) => x.id);
  assert.deepEqual(await list(), ["trip", conv.id]);
  await s.client.responses.create({ model: "h", input: "hi", conversation: conv.id });
  assert.deepEqual(await list(), [conv.id, "trip"]);
  const second = await s.client.responses.create({
    model: "h",
    input: "two",
    conversation: "trip",
  });
  assert.deepEqual(await list(), ["trip", conv.id], "a turn on the name moves it to the top");

  const trip = await s.client.conversations.retrieve("trip");
  assert.equal(trip.id, "trip");
  assert.equal(trip.object, "conversation");
  assert.equal(trip.created_at, first.created_at);
  const renamed = await s.client.conversations.update("trip", { metadata: { title: "Trip" } });
  assert.deepEqual(renamed.metadata, { title: "Trip" });
  assert.deepEqual(await list(), ["trip", conv.id], "a rename does not move it");

  const items = await s.client.conversations.items.list("trip", { order: "desc", limit: 2 });
  const text = (i: unknown) => {
    const content = (i as { content: { text: string }[] }).content;
    return content[0].text;
  };
  assert.deepEqual(items.data.map(text), ["echo: two", "two"]);
  assert.equal(items.has_more, true);
  const older = await s.client.conversations.items.list("trip", {
    order: "desc",
    after: items.data[1].id,
  });
  assert.deepEqual(older.data.map(text), ["echo: one", "one"]);
  const one = await s.client.conversations.items.retrieve(items.data[0].id!, {
    conversation_id: "trip",
  });
  assert.equal(text(one), "echo: two");

  const added = await s.client.conversations.items.create("trip", {
    items: [{ type: "message", role: "user", content: "x" }],
  }).catch((e) => e);
  assert.ok(added instanceof OpenAI.BadRequestError);
  assert.match(added.message, /POST \/v1\/responses/);

  await s.client.conversations.delete("trip");
  assert.deepEqual(await list(), [conv.id]);
  await assert.rejects(s.client.conversations.retrieve("trip"), OpenAI.NotFoundError);
  await assert.rejects(s.client.responses.retrieve(first.id), OpenAI.NotFoundError);
  await assert.rejects(s.client.responses.retrieve(second.id), OpenAI.NotFoundError);
  // The name is free again: a new turn starts a new conversation.
  await s.client.responses.create({ model: "h", input: "fresh", conversation: "trip" });
  const sent = s.llm.requests.at(-1)!.body.messages.slice(1).map((m: { content: string }) =>
    m.content
  );
  assert.deepEqual(sent, ["fresh"]);
  assert.deepEqual(await list(), ["trip", conv.id]);
});
