import assert from "node:assert/strict";
import { splitMessage } from "../../platforms/split_message.ts";

Deno.test("a paragraph that fits a message is kept as written, never re-wrapped onto two lines", () => {
  // 1,811 characters: past the splitter's wrapping width (limit less a margin), within the limit.
  const paragraph = (n: number) => `Paragraph ${n}. ` + "lorem ipsum ".repeat(150).trim();
  const reply = [1, 2].map(paragraph).join("\n\n");
  const chunks = splitMessage(reply, 2000);
  assert.deepEqual(chunks, [paragraph(1), paragraph(2)]);
});

Deno.test("a line longer than a message is cut at spaces, and nothing else changes", () => {
  const line = Array.from({ length: 700 }, (_, i) => `word${i}`).join(" ");
  const chunks = splitMessage(line, 2000);
  assert.ok(chunks.length >= 3);
  assert.ok(chunks.every((c) => c.length <= 2000 && !c.includes("\n")));
  assert.equal(chunks.join(" "), line);
});
