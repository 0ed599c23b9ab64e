/**
 * Discord's text: Markdown close to CommonMark, 2,000 characters a message. Headings, lists,
 * emphasis, code and links render as written; tables, which Discord lacks, become a code block.
 * Mentions are never resolved from the model's text (see `allowed_mentions` in bot.ts), so a
 * reply cannot ping `@everyone`.
 * @module
 */
import { marked } from "marked";

/** Discord's message length limit. */
export const DISCORD_MESSAGE_LIMIT = 2000;

/**
 * The model's Markdown as Discord shows it: tables in a code block, raw HTML escaped, the rest as
 * written.
 *
 * @example
 * ```ts
 * markdownForDiscord("| a | b |\n|---|---|\n| 1 | 2 |"); // "```\n| a | b |\n…\n```"
 * ```
 */
export function markdownForDiscord(markdown: string): string {
  const tokens = marked.lexer(markdown);
  if (!tokens.some((t) => t.type === "table" || t.type === "html")) return markdown;
  return tokens.map((token) => {
    if (token.type === "table") return "```\n" + token.raw.trim() + "\n```\n\n";
    if (token.type === "html") return escapeDiscordMarkdown(token.raw);
    return token.raw;
  }).join("").trim();
}

/** Escapes Discord's Markdown characters in plain text (names, a refused user's input). */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/([\\*_~`|>#\-\[\]()<])/g, "\\$1");
}
