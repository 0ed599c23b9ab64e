/**
 * The Conversations API (`/v1/conversations`): create a conversation, optionally seeded with
 * items, list them by last activity (Herald's addition), read and page its items, add and delete
 * items, update its metadata, delete it.
 * `POST /v1/responses` with `conversation: "conv_…"` reads and extends the same item log.
 * @module
 */
import { z } from "zod";
import { NotFoundError } from "../errors.ts";
import { parseBody, readJsonBody } from "../body.ts";
import { jsonResponse } from "../error_envelope.ts";
import type { RequestContext, Route } from "../router.ts";
import type { ResponsesDeps } from "./deps.ts";
import { normaliseInput } from "./items.ts";
import { listPage, parsePageQuery } from "./pagination.ts";
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
  const existing = async (ctx: RequestContext) => {
    const conversation = await store.get(ctx.params.id);
    if (!conversation) throw notFound(ctx.params.id);
    return conversation;
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
      handler: async (_req, ctx) => jsonResponse(await existing(ctx)),
    },
    {
      method: "POST",
      path: "/v1/conversations/:id",
      handler: async (req, ctx) => {
        const request = await body(req, UpdateSchema);
        const updated = await store.update(ctx.params.id, request.metadata);
        if (!updated) throw notFound(ctx.params.id);
        return jsonResponse(updated);
      },
    },
    {
      method: "DELETE",
      path: "/v1/conversations/:id",
      handler: async (_req, ctx) => {
        if (!(await store.delete(ctx.params.id))) throw notFound(ctx.params.id);
        return jsonResponse({ id: ctx.params.id, object: "conversation.deleted", deleted: true });
      },
    },
    {
      method: "POST",
      path: "/v1/conversations/:id/items",
      handler: async (req, ctx) => {
        await existing(ctx);
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
        await existing(ctx);
        return jsonResponse(listPage(await store.itemsPage(ctx.params.id, query)));
      },
    },
    {
      method: "GET",
      path: "/v1/conversations/:id/items/:item_id",
      handler: async (_req, ctx) => {
        await existing(ctx);
        const item = await store.item(ctx.params.id, ctx.params.item_id);
        if (!item) throw itemNotFound(ctx.params.item_id);
        return jsonResponse(item);
      },
    },
    {
      method: "DELETE",
      path: "/v1/conversations/:id/items/:item_id",
      handler: async (_req, ctx) => {
        const conversation = await existing(ctx);
        if (!(await store.deleteItem(ctx.params.id, ctx.params.item_id))) {
          throw itemNotFound(ctx.params.item_id);
        }
        // OpenAI answers an item deletion with the conversation, not a deletion stub.
        return jsonResponse(conversation);
      },
    },
  ];
}

function itemNotFound(id: string): NotFoundError {
  return new NotFoundError(`Item with id '${id}' not found.`, { param: "item_id" });
}
