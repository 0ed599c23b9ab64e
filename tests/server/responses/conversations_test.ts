import assert from "node:assert/strict";
import OpenAI from "openai";
import { startResponsesServer } from "./harness.ts";

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
