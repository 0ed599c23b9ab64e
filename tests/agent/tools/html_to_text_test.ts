import assert from "node:assert/strict";
import { htmlToText } from "../../../agent/tools/html_to_text.ts";

const PAGE = `<!doctype html><html><head><title>Demo</title><style>body{color:red}</style>
<script>var secret = 1;</script></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<h1>Main   title</h1>
<p>Read <a href="/docs/intro">the intro</a> and <strong>act</strong>.</p>
<h2>List</h2>
<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>
<ol><li>first</li><li>second</li></ol>
<pre><code>if (x) {
  run();
}</code></pre>
</body></html>`;

Deno.test("headings become # lines and links become [text](absolute url)", () => {
  const text = htmlToText(PAGE, { baseUrl: "https://site.example/guide/" });
  assert.match(text, /^# Main title$/m);
  assert.match(text, /^## List$/m);
  assert.match(
    text,
    /Read \[the intro\]\(https:\/\/site\.example\/docs\/intro\) and \*\*act\*\*\./,
  );
});

Deno.test("lists keep their markers and nesting", () => {
  const text = htmlToText(PAGE);
  assert.match(text, /^- one\n- two\n {2}- nested$/m);
  assert.match(text, /^1\. first\n2\. second$/m);
});

Deno.test("code blocks keep their whitespace inside a fence", () => {
  assert.match(htmlToText(PAGE), /```\nif \(x\) \{\n {2}run\(\);\n\}\n```/);
});

Deno.test("scripts, styles and navigation are dropped", () => {
  const text = htmlToText(PAGE);
  assert.doesNotMatch(text, /secret|color:red|About/);
});

Deno.test("tables become pipe rows", () => {
  const text = htmlToText(
    "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>",
  );
  assert.equal(text, "| a | b |\n| --- | --- |\n| 1 | 2 |");
});
