/// <reference lib="dom" />
/**
 * The page's only way to Herald: the public HTTP API with the user's key — models, the
 * Conversations API and streamed Responses. Nothing here is private to the page.
 * @module
 */
import { readEvents, type StreamEvent } from "./sse.ts";

/** A failed call: the HTTP status and the error envelope's message and code. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly code?: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** A conversation object (`conv_…`). */
export interface Conversation {
  id: string;
  created_at: number;
  metadata: Record<string, string> | null;
}

/** A page of a list endpoint. */
export interface ListPage<T> {
  data: T[];
  has_more: boolean;
  last_id?: string | null;
}

/** A stored item of a conversation (message, mcp_call, mcp_approval_request…). */
// deno-lint-ignore no-explicit-any
export type Item = { type: string; id?: string; [key: string]: any };

/** Calls Herald's API with one key. */
export class HeraldApi {
  constructor(readonly key: string) {}

  async #call(method: string, path: string, body?: unknown, signal?: AbortSignal) {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${this.key}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError("Cannot reach Herald: is the gateway running?", 0);
    }
    if (!res.ok) {
      const envelope = await res.json().catch(() => null);
      throw new ApiError(
        envelope?.error?.message ?? `Herald answered ${res.status} ${res.statusText}.`,
        res.status,
        envelope?.error?.code ?? undefined,
      );
    }
    return res;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return await (await this.#call(method, path, body)).json() as T;
  }

  /** The model ids (`GET /v1/models`). */
  async models(): Promise<string[]> {
    const page = await this.#json<ListPage<{ id: string }>>("GET", "/v1/models");
    return page.data.map((m) => m.id);
  }

  /** A page of the key's conversations, newest first. */
  conversations(after?: string): Promise<ListPage<Conversation>> {
    const query = new URLSearchParams({ limit: "50", order: "desc" });
    if (after) query.set("after", after);
    return this.#json("GET", `/v1/conversations?${query}`);
  }

  /** One conversation. */
  conversation(id: string): Promise<Conversation> {
    return this.#json("GET", `/v1/conversations/${encodeURIComponent(id)}`);
  }

  /** Creates a conversation with a title. */
  createConversation(title: string): Promise<Conversation> {
    return this.#json("POST", "/v1/conversations", { metadata: { title } });
  }

  /** Replaces a conversation's metadata. */
  updateConversation(id: string, metadata: Record<string, string>): Promise<Conversation> {
    return this.#json("POST", `/v1/conversations/${encodeURIComponent(id)}`, { metadata });
  }

  /** Deletes a conversation and its items. */
  async deleteConversation(id: string): Promise<void> {
    await this.#json("DELETE", `/v1/conversations/${encodeURIComponent(id)}`);
  }

  /** A page of a conversation's items, newest first. */
  items(id: string, after?: string): Promise<ListPage<Item>> {
    const query = new URLSearchParams({ limit: "30", order: "desc" });
    if (after) query.set("after", after);
    return this.#json("GET", `/v1/conversations/${encodeURIComponent(id)}/items?${query}`);
  }

  /** Starts a streamed response and yields its events; aborting `signal` stops the turn. */
  async *respond(body: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    const res = await this.#call("POST", "/v1/responses", { ...body, stream: true }, signal);
    yield* readEvents(res.body!);
  }
}
