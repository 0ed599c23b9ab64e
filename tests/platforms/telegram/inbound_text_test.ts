import assert from "node:assert/strict";
import { entitiesToMarkdown } from "../../../platforms/mod.ts";

Deno.test("links keep their URL as Markdown links", () => {
  assert.equal(
    entitiesToMarkdown("read the docs please", [
      { type: "text_link", offset: 9, length: 4, url: "https://example.com/docs" },
    ]),
    "read the [docs](https://example.com/docs) please",
  );
});

Deno.test("code and pre stay verbatim in backticks", () => {
  const text = "run ls -la then\nfor x in y: *pass*";
  assert.equal(
    entitiesToMarkdown(text, [
      { type: "code", offset: 4, length: 6 },
      { type: "pre", offset: 16, length: 18, language: "python" },
    ]),
    "run `ls -la` then\n```python\nfor x in y: *pass*\n```",
  );
});

Deno.test("bold and italic nest, with spaces kept outside the markers", () => {
  // "very " is bold with a trailing space; "nested" is italic inside the bold "bold nested".
  const text = "very important: bold nested";
  assert.equal(
    entitiesToMarkdown(text, [
      { type: "bold", offset: 0, length: 5 },
      { type: "bold", offset: 16, length: 11 },
      { type: "italic", offset: 21, length: 6 },
    ]),
    "**very** important: **bold _nested_**",
  );
});

Deno.test("offsets count UTF-16 units, so emoji before an entity do not shift it", () => {
  assert.equal(
    entitiesToMarkdown("😀 see here", [{ type: "bold", offset: 7, length: 4 }]),
    "😀 see **here**",
  );
});

Deno.test("plain URLs, mentions and unknown entities leave the text as it is", () => {
  const text = "@someone look at https://x.y #tag";
  assert.equal(
    entitiesToMarkdown(text, [
      { type: "mention", offset: 0, length: 8 },
      { type: "url", offset: 17, length: 11 },
      { type: "hashtag", offset: 29, length: 4 },
    ]),
    text,
  );
});
