import assert from "node:assert/strict";
import { markdownToTelegramHtml } from "../../../platforms/mod.ts";

Deno.test("emphasis, code and links become Telegram HTML tags", () => {
  assert.equal(
    markdownToTelegramHtml("**bold** *it* ~~gone~~ `x` [site](https://e.com/?a=1&b=2)"),
    '<b>bold</b> <i>it</i> <s>gone</s> <code>x</code> <a href="https://e.com/?a=1&amp;b=2">site</a>',
  );
});

Deno.test("only <, > and & are escaped", () => {
  assert.equal(
    markdownToTelegramHtml("a < b && c > d \"q\" 'x'"),
    "a &lt; b &amp;&amp; c &gt; d \"q\" 'x'",
  );
  assert.equal(markdownToTelegramHtml("use <div> here"), "use &lt;div&gt; here");
});

Deno.test("code blocks keep their language and escape their content", () => {
  assert.equal(
    markdownToTelegramHtml("```ts\nif (a < b) {}\n```"),
    '<pre><code class="language-ts">if (a &lt; b) {}</code></pre>',
  );
});

Deno.test("headings, lists and quotes render as text Telegram can show", () => {
  const html = markdownToTelegramHtml(
    "# Title\n\n- one\n- **two**\n\n1. first\n2. second\n\n> quoted",
  );
  assert.equal(
    html,
    "<b>Title</b>\n\n• one\n• <b>two</b>\n\n1. first\n2. second\n\n<blockquote>quoted</blockquote>",
  );
});

Deno.test("unsafe link schemes are dropped, keeping the label", () => {
  assert.equal(markdownToTelegramHtml("[x](javascript:alert(1))"), "x");
});
