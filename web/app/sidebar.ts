/// <reference lib="dom" />
/**
 * The conversation list: the key's conversations newest first (paged), each to open, rename
 * (its `metadata.title`) or delete.
 * @module
 */
import type { Conversation, HeraldApi } from "./api.ts";
import { h, show } from "./dom.ts";

/** What the list tells the page. */
export interface SidebarEvents {
  open(conversation: Conversation): void;
  deleted(id: string): void;
  renamed(conversation: Conversation): void;
  error(message: string): void;
}

/** The title shown for a conversation. */
export function titleOf(conversation: Conversation): string {
  const title = conversation.metadata?.title?.trim();
  if (title) return title;
  // A conversation named through the Responses API (`conversation: "trip"`) shows its name.
  return conversation.id.startsWith("conv_") ? "Untitled chat" : conversation.id;
}

/** The conversation list in the sidebar. */
export class Sidebar {
  #api?: HeraldApi;
  #current: string | null = null;
  #lastId?: string;

  constructor(
    readonly list: HTMLUListElement,
    readonly more: HTMLButtonElement,
    readonly events: SidebarEvents,
  ) {
    more.addEventListener("click", () => this.#load(this.#lastId));
  }

  /** Loads the first page with this API. */
  async reset(api: HeraldApi): Promise<void> {
    this.#api = api;
    this.list.replaceChildren();
    await this.#load();
  }

  /** Marks the open conversation. */
  select(id: string | null): void {
    this.#current = id;
    for (const li of this.list.children) {
      const row = li as HTMLElement;
      const button = row.querySelector<HTMLButtonElement>(".open");
      if (row.dataset.id === id) button?.setAttribute("aria-current", "page");
      else button?.removeAttribute("aria-current");
    }
  }

  /** Puts a new (or renamed) conversation at the top, or updates its row. */
  upsert(conversation: Conversation, top = true): void {
    const row = this.#row(conversation);
    const old = this.list.querySelector<HTMLElement>(
      `li[data-id="${CSS.escape(conversation.id)}"]`,
    );
    if (old && !top) old.replaceWith(row);
    else {
      old?.remove();
      this.list.prepend(row);
    }
    this.select(this.#current);
  }

  async #load(after?: string): Promise<void> {
    if (!this.#api) return;
    try {
      const page = await this.#api.conversations(after);
      this.list.append(...page.data.map((c) => this.#row(c)));
      this.#lastId = page.last_id ?? page.data.at(-1)?.id;
      show(this.more, page.has_more);
      this.select(this.#current);
    } catch (error) {
      this.events.error(`Cannot list conversations: ${(error as Error).message}`);
    }
  }

  #row(conversation: Conversation): HTMLLIElement {
    const title = titleOf(conversation);
    const open = h("button", { type: "button", class: "open" }, title);
    const rename = h(
      "button",
      { type: "button", class: "icon rename", "aria-label": `Rename ${title}`, title: "Rename" },
      "✎",
    );
    const remove = h(
      "button",
      { type: "button", class: "icon delete", "aria-label": `Delete ${title}`, title: "Delete" },
      "✕",
    );
    open.addEventListener("click", () => this.events.open(conversation));
    rename.addEventListener("click", () => this.#rename(conversation));
    remove.addEventListener("click", () => this.#delete(conversation, row));
    const row = h("li", {}, open, rename, remove);
    row.dataset.id = conversation.id;
    return row;
  }

  async #rename(conversation: Conversation): Promise<void> {
    const title = prompt("New name for this chat:", titleOf(conversation))?.trim();
    if (!title || !this.#api) return;
    try {
      const updated = await this.#api.updateConversation(conversation.id, {
        ...(conversation.metadata ?? {}),
        title: title.slice(0, 200),
      });
      this.upsert(updated, false);
      this.events.renamed(updated);
    } catch (error) {
      this.events.error(`Cannot rename: ${(error as Error).message}`);
    }
  }

  async #delete(conversation: Conversation, row: HTMLElement): Promise<void> {
    if (!this.#api || !confirm(`Delete "${titleOf(conversation)}"? This cannot be undone.`)) return;
    try {
      await this.#api.deleteConversation(conversation.id);
      row.remove();
      this.events.deleted(conversation.id);
    } catch (error) {
      this.events.error(`Cannot delete: ${(error as Error).message}`);
    }
  }
}
