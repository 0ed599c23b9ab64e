/// <reference lib="dom" />
/**
 * Tiny DOM helpers: elements are built from parts, text always as text nodes (never HTML).
 * @module
 */

/** Attribute values; `false` and `undefined` leave the attribute out. */
export type Attrs = Record<string, string | boolean | undefined>;

/**
 * Creates an element with attributes and children (strings become text nodes).
 *
 * @example
 * ```ts
 * h("button", { type: "button", "aria-label": "Copy" }, "Copy");
 * ```
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) el.setAttribute(name, "");
    else if (typeof value === "string") el.setAttribute(name, value);
  }
  el.append(...children);
  return el;
}

/** The element with this id; throws when the page lacks it (a build mistake). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no #${id}.`);
  return el as T;
}

/** Shows or hides an element. */
export function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}
