/// <reference lib="dom" />
/**
 * Model output is untrusted. It is rendered with a real Markdown renderer (marked) in which raw
 * HTML stays text and images become links (a picture URL could carry data out), then sanitized
 * (DOMPurify) into a DOM fragment: no markup of the model's reaches the page as HTML, nothing it
 * contains runs, and links open in a new tab without a referrer.
 * @module
 */
import { Marked } from "marked";
import DOMPurify from "dompurify";
import { h } from "./dom.ts";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ href, text }) =>
      `<a href="${escapeHtml(href)}">${escapeHtml(text || href)} (image)</a>`,
  },
});

const purify = DOMPurify;
purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

const SANITIZE = {
  RETURN_DOM_FRAGMENT: true as const,
  FORBID_TAGS: ["img", "svg", "math", "style", "form", "input", "button", "textarea", "select"],
  FORBID_ATTR: ["style", "class", "id"],
};

/** Renders Markdown to a sanitized fragment, with a copy button on each code block. */
export function renderMarkdown(text: string): DocumentFragment {
  const html = marked.parse(text) as string;
  const fragment = purify.sanitize(html, SANITIZE);
  for (const pre of fragment.querySelectorAll("pre")) {
    const code = pre.textContent ?? "";
    const copy = h("button", { type: "button", class: "copy", "aria-label": "Copy code" }, "Copy");
    copy.addEventListener("click", () => copyText(code, copy));
    const box = h("div", { class: "code" });
    pre.replaceWith(box);
    box.append(copy, pre);
  }
  return fragment;
}

async function copyText(text: string, button: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Copy failed";
  }
  setTimeout(() => button.textContent = "Copy", 1500);
}
