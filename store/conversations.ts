/**
 * Conversations API objects (`conv_…`): a conversation's metadata and its ordered item log.
 * Each item is its own KV entry (chunked when large), so adding a turn writes only that turn's
 * items, reading the conversation is one prefix scan, and a page of items is one range read.
 * An activity index orders conversations by their last turn (see conversation_activity.ts).
 * @module
 */
import { ConversationActivity, type Page, type PageQuery } from "./conversation_activity.ts";
import { CursorNotFoundError } from "./errors.ts";
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
  /**
   * Conversation names used with the Responses API before they were listed, with the time
   * (Unix ms) of their latest turn: indexed once, with the conversations made before the index.
   */
  legacyNames?: () => AsyncIterable<{ name: string; lastActivityMs: number }>;
}

/** What is kept for a conversation name of the Responses API (its turns live with the responses). */
interface NameRecord {
  /** Unix seconds of the first turn seen on the name. */
  created_at: number;
  metadata: Record<string, string>;
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
  readonly #activity: ConversationActivity;
  readonly #legacyNames: ConversationStoreOptions["legacyNames"];
  #counter = 0;

  constructor(kv: Deno.Kv, options: ConversationStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["conversations"];
    this.#retentionMs = (options.retentionDays ?? 30) * 86_400_000;
    this.#activity = new ConversationActivity(kv, this.#prefix, this.#retentionMs);
    this.#legacyNames = options.legacyNames;
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
    if (items.length) await this.append(conversation.id, items);
    else {await this.#activity.touch(
        conversation.id,
        this.#key("conv", conversation.id),
        this.#position(),
      );}
    return conversation;
  }

  /**
   * A page of the conversations, by last activity (creation, or a turn or items appended):
   * `desc` lists the most recently active first. Cursors are conversation ids.
   *
   * @throws CursorNotFoundError when `after` or `before` names no listed conversation.
   */
  list(query: PageQuery): Promise<Page<ConversationObject>> {
    return this.#activity.page(
      query,
      (ids) => Promise.all(ids.map(async (id) => await this.get(id) ?? await this.named(id))),
      () => this.#unindexed(),
    );
  }

  /**
   * Records a turn on a conversation name of the Responses API (`conversation: "name"`), so the
   * name is listed, most recently active first, beside the `conv_…` conversations. `createdAt`
   * (Unix seconds) is the turn's own time: the first turn's becomes the name's `created_at`.
   */
  async touchName(name: string, createdAt = Math.floor(Date.now() / 1000)): Promise<void> {
    const key = this.#key("named", name);
    const record: NameRecord = { created_at: createdAt, metadata: {} };
    // Only the first turn creates the record; later ones keep its time and metadata.
    await this.#kv.atomic().check({ key, versionstamp: null })
      .set(key, record, { expireIn: this.#retentionMs }).commit();
    await this.#activity.touch(name, key, this.#position());
  }

  /**
   * A conversation name as a conversation object (`id` is the name), or null when no turn on
   * it is known. Names used before they were recorded are recorded on first sight, with the
   * time of their latest turn (`lastActivityMs`, looked up by the caller).
   */
  async named(name: string, lastActivityMs?: number): Promise<ConversationObject | null> {
    const key = this.#key("named", name);
    let record = (await this.#kv.get<NameRecord>(key)).value;
    if (!record && lastActivityMs !== undefined) {
      await this.#adoptName(name, lastActivityMs);
      record = (await this.#kv.get<NameRecord>(key)).value;
    }
    if (!record) return null;
    return {
      id: name,
      object: "conversation",
      created_at: record.created_at,
      metadata: record.metadata,
    };
  }

  /** Replaces a name's metadata; null when the name has no record. */
  async updateNamed(
    name: string,
    metadata: Record<string, string>,
  ): Promise<ConversationObject | null> {
    const entry = await this.#kv.get<NameRecord>(this.#key("named", name));
    if (!entry.value) return null;
    const result = await this.#kv.atomic().check(entry)
      .set(entry.key, { ...entry.value, metadata }, { expireIn: this.#retentionMs }).commit();
    return result.ok ? await this.named(name) : await this.updateNamed(name, metadata);
  }

  /** Forgets a name's record and its place in the list. @returns false when there was none. */
  async removeNamed(name: string): Promise<boolean> {
    const key = this.#key("named", name);
    const existed = (await this.#kv.get(key)).value !== null;
    await this.#kv.delete(key);
    await this.#activity.remove(name);
    return existed;
  }

  async #adoptName(name: string, lastActivityMs: number): Promise<void> {
    const key = this.#key("named", name);
    const record: NameRecord = { created_at: Math.floor(lastActivityMs / 1000), metadata: {} };
    const committed = await this.#kv.atomic().check({ key, versionstamp: null })
      .set(key, record, { expireIn: this.#retentionMs }).commit();
    if (committed.ok) await this.#activity.touch(name, key, this.#positionAt(lastActivityMs));
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
    await this.#activity.remove(id);
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

  /**
   * Appends items (each with an id) to the end of the conversation, in order, and makes it the
   * most recently active one.
   */
  async append(id: string, items: ResponseItem[]): Promise<void> {
    let last: string | null = null;
    for (let start = 0; start < items.length; start += APPEND_BATCH) {
      const batch = items.slice(start, start + APPEND_BATCH);
      const staged = await stageMany(this.#kv, batch, {
        expireIn: this.#retentionMs,
        chunkPrefix: this.#key("chunk"),
      });
      const op = this.#kv.atomic();
      for (const [i, item] of batch.entries()) {
        const position = last = this.#position();
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
    if (last !== null) await this.#activity.touch(id, this.#key("conv", id), last);
  }

  /** Every item of the conversation, oldest first. */
  async items(id: string): Promise<ResponseItem[]> {
    const manifests: Manifest[] = [];
    for await (const entry of this.#kv.list<Manifest>({ prefix: this.#key("item", id) })) {
      if (isManifest(entry.value)) manifests.push(entry.value);
    }
    return await resolveManifests<ResponseItem>(this.#kv, manifests);
  }

  /**
   * One page of the conversation's items (`desc`: newest first), read as one KV range: only the
   * page's items are loaded, however long the conversation. Cursors are item ids.
   *
   * @throws CursorNotFoundError when `after` or `before` names no item of the conversation.
   */
  async itemsPage(id: string, query: PageQuery): Promise<Page<ResponseItem>> {
    const cursor = async (itemId: string | null | undefined, param: "after" | "before") => {
      if (!itemId) return null;
      const position = (await this.#kv.get<string>(this.#key("index", id, itemId))).value;
      if (position === null) throw new CursorNotFoundError(param, itemId);
      return position;
    };
    const desc = query.order === "desc";
    const [afterAt, beforeAt] = await Promise.all([
      cursor(query.after, "after"),
      cursor(query.before, "before"),
    ]);
    const low = desc ? beforeAt : afterAt;
    const high = desc ? afterAt : beforeAt;
    const manifests: Manifest[] = [];
    const iter = this.#kv.list<Manifest>({
      // "\0" makes the lower bound exclusive: positions all have the same length.
      start: this.#key("item", id, low === null ? "" : `${low}\0`),
      end: this.#key("item", id, high ?? "~"),
    }, { reverse: desc, limit: query.limit + 1, batchSize: query.limit + 1 });
    for await (const entry of iter) if (isManifest(entry.value)) manifests.push(entry.value);
    const page = manifests.slice(0, query.limit);
    return {
      data: await resolveManifests<ResponseItem>(this.#kv, page),
      has_more: manifests.length > page.length,
    };
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

  /** Conversations stored before the activity index, with their last activity. */
  async *#unindexed(): AsyncIterable<{ id: string; position: string }> {
    const iter = this.#kv.list<ConversationObject>({ prefix: this.#key("conv") }, {
      batchSize: 500,
    });
    for await (const entry of iter) {
      const id = entry.value.id;
      let position = this.#positionAt(entry.value.created_at * 1000);
      const lastItem = this.#kv.list({ prefix: this.#key("item", id) }, {
        reverse: true,
        limit: 1,
      });
      for await (const item of lastItem) position = item.key.at(-1) as string;
      yield { id, position };
    }
    for await (const { name, lastActivityMs } of this.#legacyNames?.() ?? []) {
      const key = this.#key("named", name);
      const record: NameRecord = { created_at: Math.floor(lastActivityMs / 1000), metadata: {} };
      await this.#kv.atomic().check({ key, versionstamp: null })
        .set(key, record, { expireIn: this.#retentionMs }).commit();
      yield { id: name, position: this.#positionAt(lastActivityMs) };
    }
  }

  /** A position for a past time (Unix ms), sorting among positions written at that time. */
  #positionAt(ms: number): string {
    return `${ms.toString(36).padStart(9, "0")}0000${crypto.randomUUID().slice(0, 8)}`;
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
