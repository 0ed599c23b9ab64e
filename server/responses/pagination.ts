/**
 * Cursor pagination as OpenAI does it for `input_items`, conversation items and Herald's
 * conversation list: `order` (default `desc`), `limit` (1–100, default 20), `after` / `before`
 * ids (exclusive), answered as `{object: "list", data, first_id, last_id, has_more}`.
 * @module
 */
import { InvalidRequestError } from "../errors.ts";
import {
  CursorNotFoundError,
  type Page,
  type PageQuery,
  type ResponseItem,
} from "../../store/mod.ts";

/** One page of a list, in the list shape openai-node's cursor pages read. */
export interface ListPage<T extends { id?: unknown }> {
  object: "list";
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** One page of items. */
export type ItemPage = ListPage<ResponseItem>;

/** `include` is OpenAI's item-list option for extra fields; Herald's items are always whole. */
const QUERY_PARAMS = new Set(["order", "limit", "after", "before", "include", "include[]"]);

/**
 * Reads and checks the paging query parameters.
 *
 * @throws InvalidRequestError for a bad `order` or `limit`, an empty cursor, or an unknown
 * parameter.
 * @example
 * ```ts
 * parsePageQuery(new URLSearchParams("order=asc&limit=2")); // { order: "asc", limit: 2, … }
 * ```
 */
export function parsePageQuery(query: URLSearchParams): PageQuery {
  for (const name of query.keys()) {
    if (!QUERY_PARAMS.has(name)) {
      throw new InvalidRequestError(
        `Unknown query parameter '${name}': a list takes order, limit, after and before.`,
        { code: "unknown_parameter", param: name },
      );
    }
  }
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw new InvalidRequestError("order must be 'asc' or 'desc'.", { param: "order" });
  }
  const rawLimit = query.get("limit");
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (rawLimit === "" || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidRequestError("limit must be an integer from 1 to 100.", { param: "limit" });
  }
  for (const param of ["after", "before"] as const) {
    if (query.get(param) === "") {
      throw new InvalidRequestError(`${param} must be an id from the list, not empty.`, { param });
    }
  }
  return { order, limit, after: query.get("after"), before: query.get("before") };
}

/** A store page in the list shape. */
export function listPage<T extends { id?: unknown }>(page: Page<T>): ListPage<T> {
  return {
    object: "list",
    data: page.data,
    first_id: (page.data[0]?.id as string | undefined) ?? null,
    last_id: (page.data.at(-1)?.id as string | undefined) ?? null,
    has_more: page.has_more,
  };
}

/**
 * Pages `items` (oldest first, all in memory) by the query parameters.
 *
 * @throws InvalidRequestError for bad parameters.
 * @example
 * ```ts
 * paginate(items, new URLSearchParams("order=asc&limit=2"));
 * ```
 */
export function paginate(items: ResponseItem[], query: URLSearchParams): ItemPage {
  const { order, limit, after, before } = parsePageQuery(query);
  let list: ResponseItem[] = order === "asc" ? items : [...items].reverse();
  if (after) {
    const at = list.findIndex((i) => i.id === after);
    list = at === -1 ? [] : list.slice(at + 1);
  }
  if (before) {
    const at = list.findIndex((i) => i.id === before);
    if (at !== -1) list = list.slice(0, at);
  }
  const page = list.slice(0, limit);
  return listPage({ data: page, has_more: list.length > page.length });
}

/**
 * A page of `items` (oldest first, all in memory) as the store pages its own lists: an unknown
 * cursor is an error rather than an empty page.
 *
 * @throws CursorNotFoundError when `after` or `before` names no item.
 */
export function pageOfItems(items: ResponseItem[], query: PageQuery): Page<ResponseItem> {
  const list = query.order === "asc" ? items : [...items].reverse();
  const at = (id: string | null | undefined, param: "after" | "before") => {
    if (!id) return null;
    const index = list.findIndex((i) => i.id === id);
    if (index === -1) throw new CursorNotFoundError(param, id);
    return index;
  };
  const from = (at(query.after, "after") ?? -1) + 1;
  const to = at(query.before, "before") ?? list.length;
  const range = list.slice(from, Math.max(from, to));
  return { data: range.slice(0, query.limit), has_more: range.length > query.limit };
}
