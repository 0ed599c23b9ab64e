import assert from "node:assert/strict";
import { type MarkupDialect, renderMarkup } from "../../platforms/markdown_markup.ts";

/** A bracket dialect: every markup shows as `[kind:…]`, so the walker's choices are visible. */
const BRACKETS: MarkupDialect = {
  escape: (text) => text.replaceAll("[", "(").replaceAll("]", ")"),
  bold: (inner) => `[b:${inner}]`,
  italic: (inner) => `[i:${inner}]`,
  strike: (inner) => `[s:${inner}]`,
  inlineCode: (text) => `[c:${text}]`,
  codeBlock: (text, lang) => `[code ${lang ?? "-"}:${text}]`,
  preformatted: (text) => `[pre:${text}]`,
  blockquote: (inner) => `[q:${inner}]`,
  listIndent: "..",
  linkSchemes: /^https:/,
  link: (href, label) => `[a ${href}:${label}]`,
  image: (href, text) => `[img ${href}:${text}]`,
};

Deno.test("renderMarkup walks blocks and inline tokens through the dialect", () => {
  const markdown = [
    "# Title **b**",
    "_i_ ~~s~~ `x` [ok](https://a.example) [no](http://b.example) ![p](https://i.example/p.png)",
    "```sh run\nls\n```",
    "> quoted",
    "- one\n  - two",
    "| a |\n|---|\n| 1 |",
  ].join("\n\n");
  assert.equal(
    renderMarkup(markdown, BRACKETS),
    [
      "[b:Title [b:b]]",
      "[i:i] [s:s] [c:x] [a https://a.example:ok] no [img https://i.example/p.png:p]",
      "[code sh:ls]",
      "[q:quoted]",
      "• one\n..• two",
      "[pre:| a |\n|---|\n| 1 |]",
    ].join("\n\n"),
  );
});
