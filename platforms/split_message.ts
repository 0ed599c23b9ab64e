/**
 * Splits a finished Markdown reply into messages of a platform's size (Telegram 4096, Discord
 * 2000, Slack 3000 as Herald uses it). Limits count UTF-16 code units, which is what JavaScript's
 * `length` measures (Telegram's and Discord's unit). Cuts fall on paragraph or line boundaries, and a code
 * fence open at a cut is closed at the end of one chunk and reopened at the start of the next.
 * @module
 */

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;

interface Line {
  text: string;
  /** The fence opener line still open after this line, or null. */
  openAfter: string | null;
  /**
   * For a piece of a hard-wrapped line: what stood between it and the piece before (a space, or
   * nothing where a word was cut). Pieces that land in one chunk are joined back with it, so a
   * split never changes the text inside a message.
   */
  glue?: string;
}

/**
 * Splits `text` into chunks of at most `limit` UTF-16 code units each.
 *
 * @example
 * ```ts
 * const chunks = splitMessage(longReply, 2000);
 * ```
 */
export function splitMessage(text: string, limit: number): string[] {
  if (text.length <= limit) return text.trim() ? [text] : [];
  // Room kept for a reopened fence at the start and a closing fence at the end of a chunk.
  const margin = Math.min(200, Math.floor(limit / 4));
  const lines = annotate(text.split("\n").flatMap((line) => hardWrap(line, limit - margin)));
  const chunks: string[] = [];
  let current: Line[] = [];
  let startOpen: string | null = null;

  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    const candidate = [...current, line];
    if (render(candidate, startOpen).length <= limit || current.length === 0) {
      current = candidate;
      i++;
      continue;
    }
    const cut = chooseCut(current, startOpen, limit);
    const kept = current.slice(0, cut);
    const endOpen: string | null = cut > 0 ? kept[cut - 1].openAfter : startOpen;
    pushChunk(chunks, render(kept, startOpen));
    // A blank line at the cut is the paragraph break itself; drop it.
    const rest = current.slice(cut);
    current = rest.length > 0 && rest[0].text.trim() === "" && rest[0].openAfter === null
      ? rest.slice(1)
      : rest;
    startOpen = endOpen;
  }
  pushChunk(chunks, render(current, startOpen));
  return chunks;
}

/** Prefers the last paragraph break in the second half of the chunk, else the last line. */
function chooseCut(lines: Line[], startOpen: string | null, limit: number): number {
  for (let j = lines.length - 1; j > 0; j--) {
    if (lines[j].text.trim() !== "" || lines[j - 1].openAfter !== null) continue;
    if (render(lines.slice(0, j), startOpen).length < limit / 2) break;
    return j;
  }
  return lines.length;
}

function render(lines: Line[], startOpen: string | null): string {
  const endOpen = lines.length > 0 ? lines[lines.length - 1].openAfter : startOpen;
  const body = lines.map((l, i) => i === 0 ? l.text : (l.glue ?? "\n") + l.text).join("");
  const head = startOpen !== null ? `${startOpen}\n` : "";
  const tail = endOpen !== null ? `\n${closerOf(endOpen)}` : "";
  return head + body + tail;
}

function pushChunk(chunks: string[], chunk: string): void {
  const trimmed = chunk.replace(/\s+$/, "");
  if (trimmed.trim() !== "") chunks.push(trimmed);
}

function closerOf(opener: string): string {
  return opener.trim().match(FENCE)?.[1] ?? "```";
}

function annotate(raw: { text: string; glue?: string }[]): Line[] {
  let open: string | null = null;
  return raw.map(({ text, glue }) => {
    const fence = glue === undefined ? text.match(FENCE)?.[1] : undefined;
    if (fence) {
      if (open === null) open = text.trim();
      else if (fence[0] === closerOf(open)[0] && fence.length >= closerOf(open).length) {
        open = null;
      }
    }
    return { text, openAfter: open, ...(glue !== undefined ? { glue } : {}) };
  });
}

/**
 * Breaks one over-long line at spaces where possible, never inside a surrogate pair; each piece
 * after the first carries the glue that joins it back (the space it was cut at, or nothing).
 */
function hardWrap(line: string, max: number): { text: string; glue?: string }[] {
  const pieces: { text: string; glue?: string }[] = [];
  let rest = line;
  let glue: string | undefined;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(" ", max);
    if (cut < max / 2) cut = max;
    if (isHighSurrogate(rest.charCodeAt(cut - 1))) cut--;
    pieces.push({ text: rest.slice(0, cut), glue });
    glue = rest[cut] === " " ? " " : "";
    rest = rest.slice(cut + glue.length);
  }
  pieces.push({ text: rest, glue });
  return pieces;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Cuts `text` to at most `max` UTF-16 code units without splitting a surrogate pair. */
export function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, cut);
}
