/**
 * Turns the model's Markdown into the HTML subset Telegram accepts. HTML parse mode needs only
 * `<`, `>` and `&` escaped, so it fails far less often than MarkdownV2; the Markdown itself is
 * read by a real parser (marked's lexer), never by regular expressions.
 * @module
 */
import { marked, type Token, type Tokens } from "marked";

/** Escapes the three characters Telegram's HTML parse mode reserves. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * Renders Markdown as Telegram HTML (`parse_mode: "HTML"`).
 *
 * @example
 * ```ts
 * markdownToTelegramHtml("**bold** and `code`"); // "<b>bold</b> and <code>code</code>"
 * ```
 */
export function markdownToTelegramHtml(markdown: string): string {
  const tokens = marked.lexer(markdown);
  return renderBlocks(tokens).trim();
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
      return `<b>${renderInline((token as Tokens.Heading).tokens)}</b>`;
    case "code": {
      const code = token as Tokens.Code;
      const lang = code.lang?.trim().split(/\s+/)[0];
      const cls = lang ? ` class="language-${escapeAttribute(lang)}"` : "";
      return `<pre><code${cls}>${escapeHtml(code.text)}</code></pre>`;
    }
    case "blockquote":
      return `<blockquote>${renderBlocks((token as Tokens.Blockquote).tokens)}</blockquote>`;
    case "list":
      return renderList(token as Tokens.List, 0);
    case "hr":
      return "──────────";
    case "table":
    case "html":
      // Telegram has no tables; the source text in a preformatted block keeps the columns.
      return `<pre>${escapeHtml(token.raw.trim())}</pre>`;
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? renderInline(text.tokens) : escapeHtml(text.text);
    }
    default:
      return escapeHtml(token.raw.trim());
  }
}

function renderList(list: Tokens.List, depth: number): string {
  const start = typeof list.start === "number" ? list.start : 1;
  const indent = "  ".repeat(depth);
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
      return `<b>${renderInline((token as Tokens.Strong).tokens)}</b>`;
    case "em":
      return `<i>${renderInline((token as Tokens.Em).tokens)}</i>`;
    case "del":
      return `<s>${renderInline((token as Tokens.Del).tokens)}</s>`;
    case "codespan":
      return `<code>${escapeHtml((token as Tokens.Codespan).text)}</code>`;
    case "br":
      return "\n";
    case "link": {
      const link = token as Tokens.Link;
      const label = renderInline(link.tokens);
      if (!/^(https?|tg|mailto):/i.test(link.href)) return label;
      return `<a href="${escapeAttribute(link.href)}">${label}</a>`;
    }
    case "image": {
      const image = token as Tokens.Image;
      return /^https?:/i.test(image.href)
        ? `<a href="${escapeAttribute(image.href)}">${escapeHtml(image.text || image.href)}</a>`
        : escapeHtml(image.text);
    }
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens ? renderInline(text.tokens) : escapeHtml(text.text);
    }
    case "escape":
      return escapeHtml((token as Tokens.Escape).text);
    default:
      // Inline HTML and anything unknown is shown as the text the model wrote.
      return escapeHtml(token.raw);
  }
}

function escapeAttribute(value: string): string {
  return escapeHtml(value).replaceAll('"', "&quot;");
}
