/**
 * Image attachments through the Responses API: a few-MB data URL reaches the upstream intact, is
 * stored in the conversation and sent again on the next turn; a body over the limit is a 413
 * naming the limit.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startResponsesServer } from "./harness.ts";

/** A data URL of about `bytes` bytes (the content need not be a real PNG for the gateway). */
function dataUrl(bytes: number, seed: number): string {
  const raw = new Uint8Array(Math.ceil(bytes * 3 / 4));
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + seed) & 0xff;
  let binary = "";
  for (let i = 0; i < raw.length; i += 0x8000) {
    binary += String.fromCharCode(...raw.subarray(i, i + 0x8000));
  }
  return `data:image/png;base64,${btoa(binary)}`;
}

type Part = { type: string; text?: string; image_url?: string | { url: string; detail?: string } };

function imageUrlsSent(messages: { role: string; content: unknown }[]): string[] {
  return messages.flatMap((m) =>
    Array.isArray(m.content)
      ? (m.content as Part[]).filter((p) => p.type === "image_url").map((p) =>
        typeof p.image_url === "string" ? p.image_url : p.image_url!.url
      )
      : []
  );
}

Deno.test("a 3 MB input_image reaches the upstream, is stored in the conversation and replayed", async () => {
  await using s = await startResponsesServer();
  const image = dataUrl(3 * 1024 * 1024, 7);
  const conv = await s.client.conversations.create({ metadata: { title: "photo" } });
  const first = await s.client.responses.create({
    model: "h",
    conversation: conv.id,
    input: [{
      role: "user",
      content: [
        { type: "input_text", text: "What is in this picture?" },
        { type: "input_image", image_url: image, detail: "auto" },
      ],
    }],
  });
  assert.equal(first.status, "completed");
  const sent = s.llm.requests.at(-1)!.body.messages;
  assert.deepEqual(imageUrlsSent(sent), [image], "the upstream got the image byte for byte");

  // Stored: the conversation's user item holds the image.
  const items = await s.client.conversations.items.list(conv.id, { order: "asc" });
  const user = items.data[0] as { role: string; content: Part[] };
  assert.equal(user.role, "user");
  const stored = user.content.find((p) => p.type === "input_image") as unknown as {
    image_url: string;
  };
  assert.equal(stored.image_url, image);

  // Replayed: the next turn sends the earlier image again, as history.
  await s.client.responses.create({ model: "h", conversation: conv.id, input: "And now?" });
  assert.deepEqual(imageUrlsSent(s.llm.requests.at(-1)!.body.messages), [image]);
});

Deno.test("a request body over the limit is a 413 that names the limit", async () => {
  await using s = await startResponsesServer();
  const image = dataUrl(11 * 1024 * 1024, 3);
  const err = await s.client.responses.create({
    model: "h",
    input: [{ role: "user", content: [{ type: "input_image", image_url: image, detail: "auto" }] }],
  }).catch((e) => e);
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.equal(err.status, 413);
  assert.equal(err.code, "body_too_large");
  assert.match(err.message, /10485760-byte limit \(10 MB\)/);
  assert.match(err.message, /api_server\.max_body_bytes/);
  assert.equal(s.llm.requests.length, 0);
});
