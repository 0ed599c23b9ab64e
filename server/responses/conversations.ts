/**
 * The Conversations API (`/v1/conversations`): create a conversation, optionally seeded with
 * items, list them by last activity (Herald's addition), read and page its items, add and delete
 * items, update its metadata, delete it. A conversation name used with `POST /v1/responses` is a
 * conversation here too (its id is the name; its items, read-only, are its responses' turns).
 * `POST /v1/responses` with `conversation: "conv_…"` reads and extends the same item log.
 * @module
 */
import { z } from "zod";
import { InvalidRequestError, NotFoundError } from "../errors.ts";
import type { ConversationObject } from "../../store/mod.ts";
import { parseBody, readJsonBody } from "../body.ts";
import { jsonResponse } from "../error_envelope.ts";
import type { RequestContext, Route } from "../router.ts";
import type { ResponsesDeps } from "./deps.ts";
import { normaliseInput } from "./items.ts";
import { listPage, pageOfItems, parsePageQuery } from "./pagination.ts";
import { MetadataSchema } from "./metadata.ts";

/** OpenAI accepts at most 20 items per create or add call. */
const MAX_ITEMS_PER_CALL = 20;

const ItemsSchema = z.array(z.union([z.string(), z.looseObject({})])).max(MAX_ITEMS_PER_CALL);

const CreateSchema = z.looseObject({
  items: ItemsSchema.nullish(),
  metadata: MetadataSchema.nullish(),
});
const UpdateSchema = z.looseObject({ metadata: MetadataSchema });
const AddItemsSchema = z.looseObject({ items: ItemsSchema });

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Conversation with id '${id}' not found.`, { param: "conversation_id" });
}

/**
 * The Conversations API route entries.
 *
 * @example
 * ```ts
 * router.add(...conversationRoutes(deps));
 * ```
 */
export function conversationRoutes(deps: ResponsesDeps): Route[] {
  const store = deps.store.conversations;
  const body = async <S extends z.ZodType>(req: Request, schema: S) =>
    parseBody(schema, await readJsonBody(req, deps.maxBodyBytes));
  /** The conversation `:id` names: a `conv_…` object with an item log, or a Responses name. */
  const existing = async (ctx: RequestContext): Promise<Found> => {
    const id = ctx.params.id;
    const conversation = await store.get(id);
    if (conversation) return { kind: "log", conversation };
    const named = await deps.store.namedConversation(id);
    if (named) return { kind: "name", conversation: named };
    throw notFound(id);
  };
  const normalise = (items: (string | Record<string, unknown>)[]) =>
    normaliseInput(items, (id) => deps.store.findItem(id));
  return [
    {
      method: "POST",
      path: "/v1/conversations",
      handler: async (req) => {
        const request = await body(req, CreateSchema);
        const items = await normalise(request.items ?? []);
        return jsonResponse(await store.create(request.metadata ?? {}, items));
      },
    },
    {
      method: "GET",
      path: "/v1/conversations",
      handler: async (_req, ctx) =>
        jsonResponse(listPage(await store.list(parsePageQuery(ctx.url.searchParams)))),
    },
    {
      method: "GET",
      path: "/v1/conversations/:id",
      handler: async (_req, ctx) => jsonResponse((await existing(ctx)).conversation),
    },
    {
      method: "POST",
      path: "/v1/conversations/:id",
      handler: async (req, ctx) => {
        const request = await body(req, UpdateSchema);
        const found = await existing(ctx);
        const updated = found.kind === "log"
          ? await store.update(ctx.params.id, request.metadata)
          : await store.updateNamed(ctx.params.id, request.metadata);
        if (!updated) throw notFound(ctx.params.id);
        return jsonResponse(updated);
      },
    },
    {
      method: "DELETE",
      path: "/v1/conversations/:id",
      handler: async (_req, ctx) => {
        const found = await existing(ctx);
        const deleted = found.kind === "log"
          ? await store.delete(ctx.params.id)
          : await deps.store.deleteNamedConversation(ctx.params.id);
        if (!deleted) throw notFound(ctx.params.id);
        return jsonResponse({ id: ctx.params.id, object: "conversation.deleted", deleted: true });
      },
    },
    {
      method: "POST",
      path: "/v1/conversations/:id/items",
      handler: async (req, ctx) => {
        if ((await existing(ctx)).kind === "name") throw namedItemsReadOnly(ctx.params.id);
        const request = await body(req, AddItemsSchema);
        const items = await normalise(request.items);
        await store.append(ctx.params.id, items);
        return jsonResponse({
          object: "list",
          data: items,
          first_id: (items[0]?.id as string | undefined) ?? null,
          last_id: (items.at(-1)?.id as string | undefined) ?? null,
          has_more: false,
        });
      },
    },
    {
      method: "GET",
      path: "/v1/conversations/:id/items",
      handler: async (_req, ctx) => {
        const query = parsePageQuery(ctx.url.searchParams);
        const id = ctx.params.id;
        // A name's items are its responses' turns: its chain is rebuilt (one range read).
        const page = (await existing(ctx)).kind === "log"
          ? await store.itemsPage(id, query)
          : pageOfItems(await deps.store.namedItems(id), query);
        return jsonResponse(listPage(page));
      },
    },
    {
      method: "GET",
      path: "/v1/conversations/:id/items/:item_id",
      handler: async (_req, ctx) => {
        const { id, item_id: itemId } = ctx.params;
        const item = (await existing(ctx)).kind === "log"
          ? await store.item(id, itemId)
          : (await deps.store.namedItems(id)).find((i) => i.id === itemId) ?? null;
        if (!item) throw itemNotFound(itemId);
        return jsonResponse(item);
      },
    },
    {
      method: "DELETE",
      path: "/v1/conversations/:id/items/:item_id",
      handler: async (_req, ctx) => {
        const found = await existing(ctx);
        if (found.kind === "name") throw namedItemsReadOnly(ctx.params.id);
        if (!(await store.deleteItem(ctx.params.id, ctx.params.item_id))) {
          throw itemNotFound(ctx.params.item_id);
        }
        // OpenAI answers an item deletion with the conversation, not a deletion stub.
        return jsonResponse(found.conversation);
      },
    },
  ];
}

/** A conversation found by id: its kind decides where its items live. */
type Found = { kind: "log" | "name"; conversation: ConversationObject };

/** Items of a name are its stored responses' turns; they change only through turns. */
function namedItemsReadOnly(name: string): InvalidRequestError {
  return new InvalidRequestError(
    `Conversation '${name}' is a name chaining responses: its items are those responses' turns. ` +
      "Add a turn with POST /v1/responses, or delete a response with DELETE /v1/responses/{id}.",
    { code: "invalid_value", param: "conversation_id" },
  );
}

function itemNotFound(id: string): NotFoundError {
  return new NotFoundError(`Item with id '${id}' not found.`, { param: "item_id" });
}
