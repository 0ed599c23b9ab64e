/**
 * Conversations API objects (`conv_…`): a conversation's metadata and its ordered item log.
 * Each item is its own KV entry (chunked when large), so adding a turn writes only that turn's
 * items and reading the conversation is one prefix scan.
 * @module
 */
import {
  chunkKeysOf,
  deleteKeys,
  isManifest,
  type Manifest,
  resolveManifest,
  resolveManifests,
  stageMany,
} from "./chunked.ts";
import type { ResponseItem } from "./response_types.ts";

/** A Conversation object as the API returns it. */
export interface ConversationObject {
  id: string;
  object: "conversation";
  /** Unix seconds. */
  created_at: number;
  metadata: Record<string, string>;
}

/** Options for a {@link ConversationStore}. */
export interface ConversationStoreOptions {
  /** Key prefix; default `["conversations"]`. */
  prefix?: Deno.KvKey;
  /** Conversations and items expire this many days after they were written; default 30. */
  retentionDays?: number;
}

/** Largest number of items one atomic append writes; KV allows 1,000 mutations. */
const APPEND_BATCH = 400;

/**
 * Conversations and their items in Deno KV.
 *
 * @example
 * ```ts
 * const conversations = new ConversationStore(kv);
 * const conv = await conversations.create({ topic: "trip" }, []);
 * await conversations.append(conv.id, [{ id: "msg_1", type: "message", role: "user", content: [] }]);
 * ```
 */
export class ConversationStore {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #retentionMs: number;
  #counter = 0;

  constructor(kv: Deno.Kv, options: ConversationStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["conversations"];
    this.#retentionMs = (options.retentionDays ?? 30) * 86_400_000;
  }

  /** Creates a conversation holding `items` (each with an id). */
  async create(
    metadata: Record<string, string>,
    items: ResponseItem[],
  ): Promise<ConversationObject> {
    const conversation: ConversationObject = {
      id: `conv_${crypto.randomUUID().replaceAll("-", "")}`,
      object: "conversation",
      created_at: Math.floor(Date.now() / 1000),
      metadata,
    };
    await this.#kv.set(this.#key("conv", conversation.id), conversation, {
      expireIn: this.#retentionMs,
    });
    await this.append(conversation.id, items);
    return conversation;
  }

  /** The conversation, or null when unknown or deleted. */
  async get(id: string): Promise<ConversationObject | null> {
    return (await this.#kv.get<ConversationObject>(this.#key("conv", id))).value;
  }

  /** Replaces the metadata; null when the conversation is unknown. */
  async update(id: string, metadata: Record<string, string>): Promise<ConversationObject | null> {
    const entry = await this.#kv.get<ConversationObject>(this.#key("conv", id));
    if (!entry.value) return null;
    const updated = { ...entry.value, metadata };
    const result = await this.#kv.atomic().check(entry)
      .set(entry.key, updated, { expireIn: this.#retentionMs }).commit();
    // Lost a race with another update or a delete: read again and retry.
    return result.ok ? updated : await this.update(id, metadata);
  }

  /** Deletes the conversation and all its items. @returns false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    const key = this.#key("conv", id);
    if (!(await this.#kv.get(key)).value) return false;
    await this.#kv.delete(key);
    const keys: Deno.KvKey[] = [];
    for (const prefix of [this.#key("item", id), this.#key("index", id)]) {
      for await (const entry of this.#kv.list({ prefix })) {
        keys.push(entry.key);
        if (isManifest(entry.value)) keys.push(...chunkKeysOf(entry.value));
      }
    }
    await deleteKeys(this.#kv, keys);
    return true;
  }

  /** Appends items (each with an id) to the end of the conversation, in order. */
  async append(id: string, items: ResponseItem[]): Promise<void> {
    for (let start = 0; start < items.length; start += APPEND_BATCH) {
      const batch = items.slice(start, start + APPEND_BATCH);
      const staged = await stageMany(this.#kv, batch, {
        expireIn: this.#retentionMs,
        chunkPrefix: this.#key("chunk"),
      });
      const op = this.#kv.atomic();
      for (const [i, item] of batch.entries()) {
        const position = this.#position();
        op.set(this.#key("item", id, position), staged[i].manifest, {
          expireIn: this.#retentionMs,
        });
        op.set(this.#key("index", id, String(item.id)), position, { expireIn: this.#retentionMs });
      }
      const result = await op.commit();
      if (!result.ok) {
        await Promise.all(staged.map((s) => s.discard()));
        throw new Error(`Cannot append to conversation '${id}': the write was rejected.`);
      }
    }
  }

  /** Every item of the conversation, oldest first. */
  async items(id: string): Promise<ResponseItem[]> {
    const manifests: Manifest[] = [];
    for await (const entry of this.#kv.list<Manifest>({ prefix: this.#key("item", id) })) {
      if (isManifest(entry.value)) manifests.push(entry.value);
    }
    return await resolveManifests<ResponseItem>(this.#kv, manifests);
  }

  /** One item by id, or null. */
  async item(id: string, itemId: string): Promise<ResponseItem | null> {
    const position = (await this.#kv.get<string>(this.#key("index", id, itemId))).value;
    if (!position) return null;
    const manifest = (await this.#kv.get<Manifest>(this.#key("item", id, position))).value;
    return manifest && isManifest(manifest)
      ? await resolveManifest<ResponseItem>(this.#kv, manifest)
      : null;
  }

  /** Removes one item. @returns false when there was no such item. */
  async deleteItem(id: string, itemId: string): Promise<boolean> {
    const indexKey = this.#key("index", id, itemId);
    const position = (await this.#kv.get<string>(indexKey)).value;
    if (!position) return false;
    const itemKey = this.#key("item", id, position);
    const manifest = (await this.#kv.get<Manifest>(itemKey)).value;
    await this.#kv.atomic().delete(indexKey).delete(itemKey).commit();
    if (manifest && isManifest(manifest)) await deleteKeys(this.#kv, chunkKeysOf(manifest));
    return true;
  }

  /**
   * A key part that sorts after every earlier one from this process: the time, then a counter
   * for items written in the same millisecond, then randomness against other processes.
   */
  #position(): string {
    const time = Date.now().toString(36).padStart(9, "0");
    const counter = (this.#counter++ % 1_679_616).toString(36).padStart(4, "0");
    return `${time}${counter}${crypto.randomUUID().slice(0, 8)}`;
  }

  #key(...parts: Deno.KvKeyPart[]): Deno.KvKey {
    return [...this.#prefix, ...parts];
  }
}
