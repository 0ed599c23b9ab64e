/**
 * Markdown for the terminal, one line at a time so an answer can stream: headings bold, `code`
 * and fenced blocks in cyan, **bold** and *italic*, bullets as •, links as text plus a dim URL.
 * Fence markers themselves are hidden. Without colour the text is left exactly as written.
 * @module
 */

const ESC = "\x1b[";
const bold = (text: string) => `${ESC}1m${text}${ESC}22m`;
const italic = (text: string) => `${ESC}3m${text}${ESC}23m`;
const cyan = (text: string) => `${ESC}36m${text}${ESC}39m`;
const dim = (text: string) => `${ESC}2m${text}${ESC}22m`;

/**
 * Styles Markdown line by line, remembering whether it is inside a fenced code block.
 *
 * @example
 * ```ts
 * const md = new TerminalMarkdown();
 * md.line("# Title"); // "\x1b[1mTitle\x1b[22m"
 * md.line("```ts");   // null: the fence line is hidden
 * ```
 */
export class TerminalMarkdown {
  #inFence = false;

  /** The styled line, or null when the line should not be shown (a fence marker). */
  line(text: string): string | null {
    if (/^\s*(```|~~~)/.test(text)) {
      this.#inFence = !this.#inFence;
      return null;
    }
    if (this.#inFence) return cyan(text);
    const heading = /^(#{1,6})\s+(.*)$/.exec(text);
    if (heading) return bold(inline(heading[2]));
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(text)) return dim("─".repeat(40));
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(text);
    if (bullet) return `${bullet[1]}• ${inline(bullet[2])}`;
    const quote = /^>\s?(.*)$/.exec(text);
    if (quote) return dim("│ ") + italic(inline(quote[1]));
    return inline(text);
  }
}

/** Inline spans: code first (its content is literal), then links, bold, italic. */
function inline(text: string): string {
  const parts = text.split(/(`[^`]+`)/);
  return parts.map((part, index) => {
    if (index % 2 === 1) return cyan(part.slice(1, -1));
    return part
      .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label, url) => `${label} ${dim(`(${url})`)}`)
      .replace(/\*\*([^*]+)\*\*|__([^_]+)__/g, (_, a, b) => bold(a ?? b))
      .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, (_, lead, body) => lead + italic(body));
  }).join("");
}

/**
 * Streams text to a terminal while styling each line once it is complete: the raw text shows at
 * once, and when its line ends the line is redrawn styled (if it fit on one screen row, so the
 * redraw cannot leave wrapped remains behind).
 */
export class MarkdownStream {
  #md = new TerminalMarkdown();
  #line = "";
  readonly #columns: () => number;
  readonly #write: (text: string) => void;

  constructor(write: (text: string) => void, columns: () => number) {
    this.#write = write;
    this.#columns = columns;
  }

  /** Writes a delta. */
  push(delta: string): void {
    let rest = delta;
    let newline;
    while ((newline = rest.indexOf("\n")) !== -1) {
      const head = rest.slice(0, newline);
      this.#write(head);
      this.#line += head;
      this.#endLine();
      rest = rest.slice(newline + 1);
    }
    if (rest !== "") {
      this.#write(rest);
      this.#line += rest;
    }
  }

  /** Styles the line in progress, if any; call at the end of a text segment. */
  flush(): void {
    if (this.#line !== "") this.#restyle(false);
    this.#line = "";
  }

  #endLine(): void {
    this.#restyle(true);
    this.#line = "";
  }

  #restyle(newline: boolean): void {
    const styled = this.#md.line(this.#line);
    const fits = [...this.#line].length < this.#columns();
    if (fits && styled !== this.#line) {
      // Back to column 0, clear the row, draw the styled line (a hidden fence leaves the row).
      this.#write(`\r${ESC}2K`);
      if (styled === null) return;
      this.#write(styled);
    }
    if (newline) this.#write("\n");
  }
}
