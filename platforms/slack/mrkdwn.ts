/**
 * Turns the model's Markdown into Slack's `mrkdwn`: `*bold*`, `_italic_`, `~strike~`, `<url|label>`
 * links, `•` lists, and `&`, `<`, `>` escaped. The Markdown is read by a real parser (marked's
 * lexer); what mrkdwn lacks (headings, tables) becomes bold text or a preformatted block.
 * @module
 */
import { marked, type Token, type Tokens } from "marked";

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
  return renderBlocks(marked.lexer(markdown)).trim();
}

function renderBlocks(tokens: Token[]): string {
  return tokens.map(renderBlock).filter((s) => s !== "").join("\n\n");
}

function renderBlock(token: Token): string {
  switch (token.type) {
    case "space":
      return "";
    case "paragraph":
      return renderInline((token as Tokens.Paragraph).tokens);
    case "heading":
      return `*${renderInline((token as Tokens.Heading).tokens)}*`;
    case "code":
      return "```\n" + escapeMrkdwn((token as Tokens.Code).text) + "\n```";
    case "blockquote":
      return renderBlocks((token as Tokens.Blockquote).tokens).split("\n").map((l) => `> ${l}`)
        .join("\n");
    case "list":
      return renderList(token as Tokens.List, 0);
    case "hr":
      return "──────────";
    case "table":
    case "html":
      // Slack has no tables; the source text in a preformatted block keeps the columns.
      return "```\n" + escapeMrkdwn(token.raw.trim()) + "\n```";
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? renderInline(text.tokens) : escapeMrkdwn(text.text);
    }
    default:
      return escapeMrkdwn(token.raw.trim());
  }
}

function renderList(list: Tokens.List, depth: number): string {
  const start = typeof list.start === "number" ? list.start : 1;
  const indent = "    ".repeat(depth);
  return list.items.map((item, i) => {
    const marker = item.task ? (item.checked ? "☑" : "☐") : list.ordered ? `${start + i}.` : "•";
    const parts = item.tokens.filter((t) => t.type !== "checkbox").map((t) =>
      t.type === "list" ? renderList(t as Tokens.List, depth + 1) : renderBlock(t)
    ).filter((s) => s !== "");
    return `${indent}${marker} ${parts.join("\n")}`;
  }).join("\n");
}

function renderInline(tokens: Token[] | undefined): string {
  if (!tokens) return "";
  return tokens.map(renderInlineToken).join("");
}

function renderInlineToken(token: Token): string {
  switch (token.type) {
    case "strong":
      return `*${renderInline((token as Tokens.Strong).tokens)}*`;
    case "em":
      return `_${renderInline((token as Tokens.Em).tokens)}_`;
    case "del":
      return `~${renderInline((token as Tokens.Del).tokens)}~`;
    case "codespan":
      return "`" + escapeMrkdwn((token as Tokens.Codespan).text) + "`";
    case "br":
      return "\n";
    case "link": {
      const link = token as Tokens.Link;
      const label = renderInline(link.tokens);
      if (!/^(https?|mailto):/i.test(link.href)) return label;
      const href = link.href.replaceAll("|", "%7C").replaceAll(">", "%3E");
      return label === escapeMrkdwn(link.href) ? `<${href}>` : `<${href}|${label}>`;
    }
    case "image": {
      const image = token as Tokens.Image;
      return /^https?:/i.test(image.href)
        ? `<${image.href}|${escapeMrkdwn(image.text || image.href)}>`
        : escapeMrkdwn(image.text);
    }
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? renderInline(text.tokens) : escapeMrkdwn(text.text);
    }
    case "escape":
      return escapeMrkdwn((token as Tokens.Escape).text);
    default:
      return escapeMrkdwn(token.raw);
  }
}

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
