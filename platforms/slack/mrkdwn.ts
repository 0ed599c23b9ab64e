/**
 * Turns the model's Markdown into Slack's `mrkdwn`: `*bold*`, `_italic_`, `~strike~`, `<url|label>`
 * links, `•` lists, and `&`, `<`, `>` escaped, with the shared walker in
 * platforms/markdown_markup.ts; what mrkdwn lacks (headings, tables) becomes bold text or a
 * preformatted block.
 * @module
 */
import { type MarkupDialect, renderMarkup } from "../markdown_markup.ts";

/** Escapes the three characters Slack's message text reserves. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * Renders Markdown as Slack mrkdwn.
 *
 * @example
 * ```ts
 * markdownToMrkdwn("**bold** and [docs](https://example.com)"); // "*bold* and <https://example.com|docs>"
 * ```
 */
export function markdownToMrkdwn(markdown: string): string {
  return renderMarkup(markdown, SLACK_MRKDWN);
}

const SLACK_MRKDWN: MarkupDialect = {
  escape: escapeMrkdwn,
  bold: (inner) => `*${inner}*`,
  italic: (inner) => `_${inner}_`,
  strike: (inner) => `~${inner}~`,
  inlineCode: (text) => "`" + escapeMrkdwn(text) + "`",
  codeBlock: (text) => "```\n" + escapeMrkdwn(text) + "\n```",
  // Slack has no tables; the source text in a preformatted block keeps the columns.
  preformatted: (text) => "```\n" + escapeMrkdwn(text) + "\n```",
  blockquote: (inner) => inner.split("\n").map((l) => `> ${l}`).join("\n"),
  listIndent: "    ",
  linkSchemes: /^(https?|mailto):/i,
  link: (href, label) => {
    const target = href.replaceAll("|", "%7C").replaceAll(">", "%3E");
    return label === escapeMrkdwn(href) ? `<${target}>` : `<${target}|${label}>`;
  },
  image: (href, text) => `<${href}|${escapeMrkdwn(text)}>`,
};

/**
 * Reads a Slack message's text back into plain Markdown for the model: `<url|label>` links,
 * user mentions kept as `@U123`, and the three escapes undone.
 */
export function slackTextToMarkdown(text: string): string {
  return text
    .replace(/<((?:https?|mailto):[^|>]+)\|([^>]+)>/g, "[$2]($1)")
    .replace(/<((?:https?|mailto):[^>]+)>/g, "$1")
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]+)?>/g, "@$1")
    .replace(/<#(C[A-Z0-9]+)\|([^>]*)>/g, "#$2")
    .replace(/<!(here|channel|everyone)>/g, "@$1")
    .replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}
