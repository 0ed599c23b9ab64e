import assert from "node:assert/strict";
import { splitForTelegram, truncateUtf16 } from "../../../platforms/telegram/split_message.ts";

Deno.test("a short reply stays one chunk", () => {
  assert.deepEqual(splitForTelegram("hello"), ["hello"]);
});

Deno.test("long text splits on paragraph boundaries within the limit", () => {
  const paragraph = "word ".repeat(150).trim(); // 749 units
  const text = Array.from({ length: 12 }, () => paragraph).join("\n\n");
  const chunks = splitForTelegram(text);
  assert.ok(chunks.length >= 3);
  for (const chunk of chunks) {
    assert.ok(chunk.length <= 4096);
    assert.ok(chunk.startsWith("word") && chunk.endsWith("word"), "cut inside a paragraph");
  }
  assert.equal(chunks.join("\n\n"), text);
});

Deno.test("a code fence cut across chunks is closed and reopened", () => {
  const code = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n");
  const text = `Intro\n\n\`\`\`ts\n${code}\n\`\`\`\n\nOutro`;
  const chunks = splitForTelegram(text, 120);
  assert.ok(chunks.length > 2);
  for (const chunk of chunks) {
    assert.ok(chunk.length <= 120, `chunk too long: ${chunk.length}`);
    const fences = chunk.split("\n").filter((l) => l.startsWith("```")).length;
    assert.equal(fences % 2, 0, `unbalanced fences in ${JSON.stringify(chunk)}`);
  }
  assert.ok(chunks[1].startsWith("```ts\n"));
  const lines = chunks.join("\n").split("\n").filter((l) => l.startsWith("line "));
  assert.equal(lines.length, 40);
});

Deno.test("length is measured in UTF-16 units and surrogate pairs are never split", () => {
  const text = "😀".repeat(3000); // 6000 units, one line without spaces
  const chunks = splitForTelegram(text);
  assert.ok(chunks.length >= 2);
  for (const chunk of chunks) {
    assert.ok(chunk.length <= 4096);
    assert.ok(!/[\ud800-\udbff]$/.test(chunk), "chunk ends in half a surrogate pair");
  }
  assert.equal(chunks.join(""), text);
  assert.equal(truncateUtf16("a😀", 2), "a");
});

Deno.test("whitespace-only text gives no chunks", () => {
  assert.deepEqual(splitForTelegram("   "), []);
});
