/**
 * What the model reads of a user's message: the text with Telegram's entities written back as
 * Markdown (links keep their URL, code stays code, bold and italic stay visible), so the model
 * sees what the user sent rather than the bare characters.
 * @module
 */

/** A Telegram message entity; offsets and lengths count UTF-16 units, as JavaScript does. */
export interface MessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  user?: { id: number };
}

/** Markers written around an entity's text; pre and code keep their content verbatim. */
function wrap(entity: MessageEntity, inner: string): string {
  switch (entity.type) {
    case "bold":
      return emphasis("**", inner);
    case "italic":
      return emphasis("_", inner);
    case "strikethrough":
      return emphasis("~~", inner);
    case "code": {
      const fence = inner.includes("`") ? "``" : "`";
      const pad = inner.startsWith("`") || inner.endsWith("`") ? " " : "";
      return `${fence}${pad}${inner}${pad}${fence}`;
    }
    case "pre": {
      const fence = inner.includes("```") ? "````" : "```";
      return `${fence}${entity.language ?? ""}\n${inner.replace(/\n$/, "")}\n${fence}`;
    }
    case "text_link":
      return entity.url ? `[${inner}](${entity.url})` : inner;
    case "text_mention":
      return entity.user ? `[${inner}](tg://user?id=${entity.user.id})` : inner;
    case "blockquote":
    case "expandable_blockquote":
      return inner.split("\n").map((line) => `> ${line}`).join("\n");
    default:
      // Plain URLs, mentions, hashtags, underline, spoilers: the text says it already.
      return inner;
  }
}

/** Markdown emphasis must hug the text: `** bold **` is not bold, so spaces go outside. */
function emphasis(marker: string, inner: string): string {
  const match = inner.match(/^(\s*)([\s\S]*?)(\s*)$/)!;
  if (match[2] === "") return inner;
  return `${match[1]}${marker}${match[2]}${marker}${match[3]}`;
}

/**
 * Writes a message's text with its entities as Markdown.
 *
 * @example
 * ```ts
 * entitiesToMarkdown("see docs", [{ type: "text_link", offset: 4, length: 4, url: "https://x.y" }]);
 * // "see [docs](https://x.y)"
 * ```
 */
export function entitiesToMarkdown(text: string, entities: MessageEntity[] = []): string {
  // Outer entities first: by start, then the longer one.
  const sorted = entities
    .filter((e) => e.length > 0 && e.offset >= 0 && e.offset + e.length <= text.length)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  return render(text, sorted, 0, text.length);
}

function render(text: string, entities: MessageEntity[], start: number, end: number): string {
  let out = "";
  let at = start;
  for (let i = 0; i < entities.length;) {
    const entity = entities[i];
    const entityEnd = entity.offset + entity.length;
    // Children are the following entities inside this one; partial overlaps are cut off.
    let j = i + 1;
    while (j < entities.length && entities[j].offset < entityEnd) j++;
    const children = entities.slice(i + 1, j).filter((c) => c.offset + c.length <= entityEnd);
    out += text.slice(at, entity.offset);
    const verbatim = entity.type === "code" || entity.type === "pre";
    const inner = verbatim
      ? text.slice(entity.offset, entityEnd)
      : render(text, children, entity.offset, entityEnd);
    out += wrap(entity, inner);
    at = entityEnd;
    i = j;
  }
  return out + text.slice(at, end);
}
