/**
 * Turns an HTML page into Markdown-like text a model reads well: headings as `#`, links as
 * `[text](url)`, lists, code blocks and tables, with scripts, styles and navigation dropped.
 * Parsing is done by linkedom (a real HTML parser), never by regexes over markup.
 * @module
 */
import { parseHTML } from "linkedom";

/** Options for {@link htmlToText}. */
export interface HtmlToTextOptions {
  /** Resolves relative link targets; usually the page's final URL. */
  baseUrl?: string;
}

/** Elements whose content is never useful as page text. */
const DROPPED = new Set([
  "script",
  "style",
  "nav",
  "noscript",
  "template",
  "svg",
  "canvas",
  "iframe",
  "object",
  "embed",
  "head",
  "button",
  "select",
  "input",
  "textarea",
  "form",
]);

/** Elements that start a new block of text. */
const BLOCKS = new Set([
  "address",
  "article",
  "aside",
  "body",
  "center",
  "dd",
  "details",
  "dialog",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "header",
  "hgroup",
  "html",
  "main",
  "p",
  "section",
  "summary",
  "caption",
]);

const TEXT_NODE = 3;
const ELEMENT_NODE = 1;

/** The DOM surface this module walks; linkedom's nodes provide it. */
interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
}

/** The part of linkedom's document this module uses. */
interface DomDocument {
  body: DomNode | null;
  documentElement: DomNode | null;
  querySelector(selector: string): DomNode | null;
}

/**
 * Converts HTML to readable Markdown-like text.
 *
 * @example
 * ```ts
 * htmlToText("<h1>Hi</h1><p>See <a href='/x'>this</a></p>", { baseUrl: "https://a.example/" });
 * // "# Hi\n\nSee [this](https://a.example/x)"
 * ```
 */
export function htmlToText(html: string, options: HtmlToTextOptions = {}): string {
  // linkedom's types model a browser Window; only its document is used here.
  // linkedom only builds <html>/<body> for whole documents; give fragments a body to live in.
  const source = /<(html|body)[\s>]/i.test(html) ? html : `<html><body>${html}</body></html>`;
  const { document } = parseHTML(source) as unknown as { document: DomDocument };
  const title = (document.querySelector("title")?.textContent ?? "").replace(/\s+/g, " ").trim();
  const root = document.body ?? document.documentElement;
  const body = root ? renderBlocks(root, options, "\n\n") : "";
  const text = title && !body.startsWith(`# ${title}`) ? `Title: ${title}\n\n${body}` : body;
  return text.replace(/\n{3,}/g, "\n\n").trim();
}

/** Renders an element's children as blocks joined by `separator`. */
function renderBlocks(element: DomNode, options: HtmlToTextOptions, separator: string): string {
  const blocks: string[] = [];
  let inline = "";
  const flush = () => {
    const text = inline.split("\n").map((l) => l.replace(/[ \t]+/g, " ").trim()).join("\n").trim();
    if (text) blocks.push(text);
    inline = "";
  };
  for (const child of Array.from(element.childNodes)) {
    if (child.nodeType === TEXT_NODE) {
      inline += (child.textContent ?? "").replace(/\s+/g, " ");
      continue;
    }
    if (child.nodeType !== ELEMENT_NODE) continue;
    const tag = child.nodeName.toLowerCase();
    if (DROPPED.has(tag)) continue;
    const block = renderBlockElement(child, tag, options);
    if (block === undefined) {
      inline += renderInline(child, tag, options);
    } else {
      flush();
      if (block) blocks.push(block);
    }
  }
  flush();
  return blocks.join(separator);
}

/** Renders a block-level element, or returns undefined for inline ones. */
function renderBlockElement(
  el: DomNode,
  tag: string,
  options: HtmlToTextOptions,
): string | undefined {
  const heading = /^h([1-6])$/.exec(tag);
  if (heading) {
    const text = inlineText(el, options);
    return text ? `${"#".repeat(Number(heading[1]))} ${text}` : "";
  }
  switch (tag) {
    case "ul":
    case "ol":
    case "menu":
      return renderList(el, tag === "ol", options);
    case "li":
      return `- ${indent(renderBlocks(el, options, "\n"), "  ")}`;
    case "pre": {
      const code = (el.textContent ?? "").replace(/^\n/, "").replace(/\s+$/, "");
      return code ? "```\n" + code + "\n```" : "";
    }
    case "blockquote":
      return renderBlocks(el, options, "\n\n").split("\n").map((l) => `> ${l}`.trimEnd()).join(
        "\n",
      );
    case "hr":
      return "---";
    case "table":
      return renderTable(el, options);
    default:
      return BLOCKS.has(tag) ? renderBlocks(el, options, "\n\n") : undefined;
  }
}

/** Renders an inline element with its Markdown decoration. */
function renderInline(el: DomNode, tag: string, options: HtmlToTextOptions): string {
  switch (tag) {
    case "br":
      return "\n";
    case "a": {
      const text = inlineText(el, options);
      const href = resolveUrl(el.getAttribute?.("href"), options.baseUrl);
      if (!href) return text;
      return text ? `[${text}](${href})` : `<${href}>`;
    }
    case "img": {
      const alt = (el.getAttribute?.("alt") ?? "").trim();
      return alt ? `[image: ${alt}]` : "";
    }
    case "code":
    case "kbd":
    case "samp":
      return `\`${(el.textContent ?? "").replace(/\s+/g, " ")}\``;
    case "strong":
    case "b": {
      const text = inlineText(el, options);
      return text ? `**${text}**` : "";
    }
    case "em":
    case "i": {
      const text = inlineText(el, options);
      return text ? `*${text}*` : "";
    }
    default:
      return renderChildrenInline(el, options);
  }
}

function renderChildrenInline(el: DomNode, options: HtmlToTextOptions): string {
  let out = "";
  for (const child of Array.from(el.childNodes)) {
    if (child.nodeType === TEXT_NODE) out += (child.textContent ?? "").replace(/\s+/g, " ");
    else if (child.nodeType === ELEMENT_NODE) {
      const tag = child.nodeName.toLowerCase();
      if (DROPPED.has(tag)) continue;
      // A block inside an inline element (a <div> in an <a>) still reads as its text.
      const block = renderBlockElement(child, tag, options);
      out += block === undefined ? renderInline(child, tag, options) : ` ${block} `;
    }
  }
  return out;
}

/** An element's content as one line of inline text. */
function inlineText(el: DomNode, options: HtmlToTextOptions): string {
  return renderChildrenInline(el, options).replace(/\s+/g, " ").trim();
}

function renderList(el: DomNode, ordered: boolean, options: HtmlToTextOptions): string {
  const items: string[] = [];
  let n = 1;
  for (const child of Array.from(el.childNodes)) {
    if (child.nodeType !== ELEMENT_NODE) continue;
    const tag = child.nodeName.toLowerCase();
    if (tag !== "li") {
      // Stray content (a nested list written without its <li>) is kept, indented.
      const block = renderBlockElement(child, tag, options);
      if (block) items.push(indent(block, "  ", true));
      continue;
    }
    const marker = ordered ? `${n++}. ` : "- ";
    const body = renderBlocks(child, options, "\n");
    if (body) items.push(marker + indent(body, " ".repeat(marker.length)));
  }
  return items.join("\n");
}

function renderTable(el: DomNode, options: HtmlToTextOptions): string {
  const rows: string[][] = [];
  const collect = (node: DomNode) => {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType !== ELEMENT_NODE) continue;
      const tag = child.nodeName.toLowerCase();
      if (tag === "tr") {
        const cells = Array.from(child.childNodes)
          .filter((c) => c.nodeType === ELEMENT_NODE && /^t[dh]$/i.test(c.nodeName))
          .map((c) => inlineText(c, options).replace(/\|/g, "\\|"));
        if (cells.length) rows.push(cells);
      } else if (/^(thead|tbody|tfoot)$/.test(tag)) collect(child);
    }
  };
  collect(el);
  if (rows.length === 0) return "";
  const lines = rows.map((cells) => `| ${cells.join(" | ")} |`);
  lines.splice(1, 0, `|${" --- |".repeat(rows[0].length)}`);
  return lines.join("\n");
}

/** Indents every line but the first (or every line when `all`). */
function indent(text: string, prefix: string, all = false): string {
  return text.split("\n").map((l, i) => (i === 0 && !all) || l === "" ? l : prefix + l).join(
    "\n",
  );
}

function resolveUrl(href: string | null | undefined, base: string | undefined): string | null {
  if (!href) return null;
  const trimmed = href.trim();
  if (/^(javascript|data):/i.test(trimmed) || trimmed.startsWith("#")) return null;
  try {
    return new URL(trimmed, base).href;
  } catch {
    return trimmed;
  }
}
