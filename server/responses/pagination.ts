/**
 * Cursor pagination over an item list, as OpenAI does it for `input_items` and conversation
 * items: `order` (default `desc`), `limit` (1–100, default 20), `after` / `before` item ids.
 * @module
 */
import { InvalidRequestError } from "../errors.ts";
import type { ResponseItem } from "../../store/mod.ts";

/** One page of items, in the list shape openai-node's cursor pages read. */
export interface ItemPage {
  object: "list";
  data: ResponseItem[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/**
 * Pages `items` (oldest first) by the query parameters.
 *
 * @throws InvalidRequestError for a bad `order` or `limit`.
 * @example
 * ```ts
 * paginate(items, new URLSearchParams("order=asc&limit=2"));
 * ```
 */
export function paginate(items: ResponseItem[], query: URLSearchParams): ItemPage {
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw new InvalidRequestError("order must be 'asc' or 'desc'.", { param: "order" });
  }
  const limit = Number(query.get("limit") ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidRequestError("limit must be an integer from 1 to 100.", { param: "limit" });
  }
  let list: ResponseItem[] = order === "asc" ? items : [...items].reverse();
  const after = query.get("after");
  if (after) {
    const at = list.findIndex((i) => i.id === after);
    list = at === -1 ? [] : list.slice(at + 1);
  }
  const before = query.get("before");
  if (before) {
    const at = list.findIndex((i) => i.id === before);
    if (at !== -1) list = list.slice(0, at);
  }
  const page = list.slice(0, limit);
  return {
    object: "list",
    data: page,
    first_id: (page[0]?.id as string | undefined) ?? null,
    last_id: (page.at(-1)?.id as string | undefined) ?? null,
    has_more: list.length > page.length,
  };
}
