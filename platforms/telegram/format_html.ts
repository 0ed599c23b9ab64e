/**
 * Turns the model's Markdown into the HTML subset Telegram accepts. HTML parse mode needs only
 * `<`, `>` and `&` escaped, so it fails far less often than MarkdownV2; the Markdown is read by
 * the shared walker in platforms/markdown_markup.ts.
 * @module
 */
import { type MarkupDialect, renderMarkup } from "../markdown_markup.ts";

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
  return renderMarkup(markdown, TELEGRAM_HTML);
}

const TELEGRAM_HTML: MarkupDialect = {
  escape: escapeHtml,
  bold: (inner) => `<b>${inner}</b>`,
  italic: (inner) => `<i>${inner}</i>`,
  strike: (inner) => `<s>${inner}</s>`,
  inlineCode: (text) => `<code>${escapeHtml(text)}</code>`,
  codeBlock: (text, lang) => {
    const cls = lang ? ` class="language-${escapeAttribute(lang)}"` : "";
    return `<pre><code${cls}>${escapeHtml(text)}</code></pre>`;
  },
  // Telegram has no tables; the source text in a preformatted block keeps the columns.
  preformatted: (text) => `<pre>${escapeHtml(text)}</pre>`,
  blockquote: (inner) => `<blockquote>${inner}</blockquote>`,
  listIndent: "  ",
  linkSchemes: /^(https?|tg|mailto):/i,
  link: (href, label) => `<a href="${escapeAttribute(href)}">${label}</a>`,
  image: (href, text) => `<a href="${escapeAttribute(href)}">${escapeHtml(text)}</a>`,
};

function escapeAttribute(value: string): string {
  return escapeHtml(value).replaceAll('"', "&quot;");
}
