/**
 * One Markdown walker for every platform's message markup. The model's Markdown is read by a real
 * parser (marked's lexer), never by regular expressions, and each platform supplies only its
 * {@link MarkupDialect}: how bold, links, code and quotes are written, and what it escapes. What a
 * platform lacks (headings, tables) becomes bold text or a preformatted block.
 * @module
 */
import { marked, type Token, type Tokens } from "marked";

/** How one platform writes each piece of markup. Every `inner` is already rendered and escaped. */
export interface MarkupDialect {
  /** Escapes text so the platform shows it literally. */
  escape(text: string): string;
  /** Bold text (headings are bold too). */
  bold(inner: string): string;
  italic(inner: string): string;
  strike(inner: string): string;
  /** Inline code; `text` is raw. */
  inlineCode(text: string): string;
  /** A fenced code block; `text` is raw, `lang` the fence's first word. */
  codeBlock(text: string, lang: string | undefined): string;
  /** Source text kept in a preformatted block (tables, HTML blocks); `text` is raw. */
  preformatted(text: string): string;
  blockquote(inner: string): string;
  /** The indent of one level of list nesting. */
  listIndent: string;
  /** Link schemes the platform may link to; other links show their label only. */
  linkSchemes: RegExp;
  /** A link; `href` is raw and has an allowed scheme, `label` is rendered. */
  link(href: string, label: string): string;
  /** A linked image (http or https only); both raw. */
  image(href: string, text: string): string;
}

/** Renders Markdown in a platform's markup. */
export function renderMarkup(markdown: string, dialect: MarkupDialect): string {
  return new MarkupRenderer(dialect).blocks(marked.lexer(markdown)).trim();
}

class MarkupRenderer {
  constructor(readonly d: MarkupDialect) {}

  blocks(tokens: Token[]): string {
    return tokens.map((t) => this.block(t)).filter((s) => s !== "").join("\n\n");
  }

  block(token: Token): string {
    const d = this.d;
    switch (token.type) {
      case "space":
        return "";
      case "paragraph":
        return this.inline((token as Tokens.Paragraph).tokens);
      case "heading":
        return d.bold(this.inline((token as Tokens.Heading).tokens));
      case "code": {
        const code = token as Tokens.Code;
        return d.codeBlock(code.text, code.lang?.trim().split(/\s+/)[0] || undefined);
      }
      case "blockquote":
        return d.blockquote(this.blocks((token as Tokens.Blockquote).tokens));
      case "list":
        return this.list(token as Tokens.List, 0);
      case "hr":
        return "──────────";
      case "table":
      case "html":
        return d.preformatted(token.raw.trim());
      case "text": {
        const text = token as Tokens.Text;
        return text.tokens ? this.inline(text.tokens) : d.escape(text.text);
      }
      default:
        return d.escape(token.raw.trim());
    }
  }

  list(list: Tokens.List, depth: number): string {
    const start = typeof list.start === "number" ? list.start : 1;
    const indent = this.d.listIndent.repeat(depth);
    return list.items.map((item, i) => {
      const marker = item.task ? (item.checked ? "☑" : "☐") : list.ordered ? `${start + i}.` : "•";
      const parts = item.tokens.filter((t) => t.type !== "checkbox").map((t) =>
        t.type === "list" ? this.list(t as Tokens.List, depth + 1) : this.block(t)
      ).filter((s) => s !== "");
      return `${indent}${marker} ${parts.join("\n")}`;
    }).join("\n");
  }

  inline(tokens: Token[] | undefined): string {
    if (!tokens) return "";
    return tokens.map((t) => this.inlineToken(t)).join("");
  }

  inlineToken(token: Token): string {
    const d = this.d;
    switch (token.type) {
      case "strong":
        return d.bold(this.inline((token as Tokens.Strong).tokens));
      case "em":
        return d.italic(this.inline((token as Tokens.Em).tokens));
      case "del":
        return d.strike(this.inline((token as Tokens.Del).tokens));
      case "codespan":
        return d.inlineCode((token as Tokens.Codespan).text);
      case "br":
        return "\n";
      case "link": {
        const link = token as Tokens.Link;
        const label = this.inline(link.tokens);
        return d.linkSchemes.test(link.href) ? d.link(link.href, label) : label;
      }
      case "image": {
        const image = token as Tokens.Image;
        return /^https?:/i.test(image.href)
          ? d.image(image.href, image.text || image.href)
          : d.escape(image.text);
      }
      case "text": {
        const text = token as Tokens.Text;
        return text.tokens ? this.inline(text.tokens) : d.escape(text.text);
      }
      case "escape":
        return d.escape((token as Tokens.Escape).text);
      default:
        // Inline HTML and anything unknown is shown as the text the model wrote.
        return d.escape(token.raw);
    }
  }
}
