/**
 * Stored Responses API objects. Each response keeps only its own turn — the input items of its
 * request and its output items — plus a link to the previous response, so a turn's write does not
 * grow with the history. A chain is rebuilt at read time with one range scan: every turn of a
 * chain is filed under the chain's root id and its depth (see turn_entries.ts for how a turn is
 * stored).
 * @module
 */
import {
  chunkKeysOf,
  deleteKeys,
  getChunked,
  isManifest,
  type Manifest,
  resolveManifest,
  resolveManifests,
  stageMany,
} from "./chunked.ts";
import { type ConversationObject, ConversationStore } from "./conversations.ts";
import { ConversationConflictError } from "./errors.ts";
import { KeyedQueue } from "./keyed_queue.ts";
import { acquireLease } from "./name_lease.ts";
import { ResponseEventLog } from "./response_events.ts";
import type {
  ChainPosition,
  ConversationHead,
  ResponseItem,
  ResponseObject,
  ResponseStoreOptions,
  SaveResponse,
  StoredResponse,
  TurnItems,
} from "./response_types.ts";
import {
  encodeTurn,
  INLINE_TURN_BYTES,
  plainItems,
  staleChunks,
  type StoredTurn,
  type TurnEntry,
  turnEntryOf,
} from "./turn_entries.ts";

/** Most depth ranges a chain rebuild reads in parallel. */
const LIST_RANGES = 4;

/**
 * Responses, their turn items, conversation names and background-run events in Deno KV.
 *
 * @example
 * ```ts
 * const store = new ResponseStore(kv, { retentionDays: 30 });
 * await store.save({ response, input, parent: null });
 * const turns = await store.history(response.id); // oldest first
 * ```
 */
export class ResponseStore {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #names = new KeyedQueue();
  readonly #owner = crypto.randomUUID();
  readonly #events: ResponseEventLog;
  /** Conversations API objects (`conv_…`), kept beside the responses. */
  readonly conversations: ConversationStore;

  constructor(kv: Deno.Kv, options: ResponseStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["responses"];
    this.#retentionMs = (options.retentionDays ?? 30) * 86_400_000;
    this.#now = options.now ?? Date.now;
    this.#events = new ResponseEventLog(kv, {
      prefix: this.#prefix,
      retentionMs: this.#retentionMs,
    });
    this.conversations = new ConversationStore(kv, {
      prefix: [...this.#prefix, "conversation"],
      retentionDays: options.retentionDays,
      legacyNames: () => this.#storedNames(),
    });
  }

  /** The stored metadata of a response, or null if unknown, deleted or expired. */
  async meta(id: string): Promise<StoredResponse | null> {
    const meta = await getChunked<StoredResponse>(this.#kv, this.#key("resp", id));
    if (!meta) return null;
    return this.#expired(meta.createdAt) ? null : meta;
  }

  /** The full Response object (with `output`), or null. */
  async get(id: string): Promise<ResponseObject | null> {
    const meta = await this.meta(id);
    if (!meta) return null;
    const turn = await this.#turn(meta);
    return { ...meta.response, output: turn?.output ?? [] };
  }

  /** The input items of that one request, or null if the response is unknown. */
  async inputItems(id: string): Promise<ResponseItem[] | null> {
    const meta = await this.meta(id);
    if (!meta) return null;
    return (await this.#turn(meta))?.input ?? [];
  }

  /**
   * Every turn of the chain ending at `id`, oldest first, `id`'s own turn last. Deleted turns
   * are skipped; the walk stops where older turns have expired.
   */
  async history(id: string): Promise<TurnItems[]> {
    const meta = await this.meta(id);
    if (!meta) return [];
    const base = [...this.#prefix, "turn", meta.root];
    const entries = new Map<string, TurnEntry>();
    // Long chains are read as a few depth ranges at once, so KV's reads overlap the decoding.
    const ranges = Math.min(LIST_RANGES, Math.ceil((meta.depth + 1) / 250));
    const step = Math.ceil((meta.depth + 1) / ranges);
    await Promise.all(Array.from({ length: ranges }, async (_, r) => {
      const iter = this.#kv.list<StoredTurn>(
        { start: [...base, r * step], end: [...base, Math.min((r + 1) * step, meta.depth + 1)] },
        { batchSize: 500 },
      );
      for await (const entry of iter) {
        entries.set(entry.key.at(-1) as string, turnEntryOf(entry.value));
      }
    }));
    const path: { id: string; entry: TurnEntry }[] = [];
    for (let at: string | null = id; at !== null;) {
      const entry = entries.get(at);
      if (!entry) break;
      if (entry.items || entry.input) path.push({ id: at, entry });
      at = entry.prev;
    }
    path.reverse();
    // Only turns too big for one value need a second read.
    const manifests = path.filter((p) => !p.entry.input).map((p) => p.entry.items!);
    const resolved = manifests.length
      ? await resolveManifests<Omit<TurnItems, "id">>(this.#kv, manifests)
      : [];
    let next = 0;
    return path.map(({ id, entry }) => {
      const turn = plainItems(entry) ?? resolved[next++];
      return { id, input: turn.input, output: turn.output };
    });
  }

  /**
   * Writes a response and its turn in one atomic commit (overwriting an earlier save of the same
   * id), and moves the conversation name when one is given.
   *
   * @throws ConversationConflictError when the name moved since `conversation.expected` was read.
   */
  async save(turn: SaveResponse): Promise<void> {
    const { response, input, parent } = turn;
    const id = response.id;
    const position: ChainPosition = parent
      ? { id, root: parent.root, depth: parent.depth + 1 }
      : { id, root: id, depth: 0 };
    const { output, ...withoutOutput } = response;
    const meta: StoredResponse = {
      ...position,
      response: withoutOutput as ResponseObject,
      previousResponseId: parent?.id ?? null,
      conversation: turn.conversation?.name ?? null,
      createdAt: turn.createdAt ?? this.#now(),
    };
    const expireIn = Math.max(1, meta.createdAt + this.#retentionMs - this.#now());
    const metaKey = this.#key("resp", id);
    const turnKey = [...this.#prefix, "turn", position.root, position.depth, id];
    const [oldMeta, oldTurn] = await this.#kv.getMany<[Manifest, StoredTurn]>([
      metaKey,
      turnKey,
    ]);
    const items = { input, output: (output as ResponseItem[] | undefined) ?? [] };
    const inline = encodeTurn({ prev: parent?.id ?? null, ...items });
    const plain = inline.byteLength <= INLINE_TURN_BYTES;
    const staged = await stageMany(this.#kv, plain ? [meta] : [meta, items], {
      expireIn,
      chunkPrefix: this.#key("chunk"),
    });
    const turnEntry: StoredTurn = plain
      ? inline
      : { prev: parent?.id ?? null, items: staged[1].manifest };
    const op = this.#kv.atomic()
      .set(metaKey, staged[0].manifest, { expireIn })
      .set(turnKey, turnEntry, { expireIn });
    if (turn.conversation) {
      const convKey = this.#key("conv", turn.conversation.name);
      op.check({ key: convKey, versionstamp: turn.conversation.expected.versionstamp })
        .set(convKey, { responseId: id }, { expireIn });
    }
    // Item ids are indexed so `item_reference` inputs can name any stored item.
    for (
      const item of [...input, ...((output as ResponseItem[] | undefined) ?? [])].slice(0, 800)
    ) {
      // KV keys are capped at 2,048 bytes; ids that long are not worth referencing.
      if (typeof item.id === "string" && item.id.length <= 256) {
        op.set(this.#key("item", item.id), id, { expireIn });
      }
    }
    const activeKey = this.#key("active", id);
    if (turn.active) op.set(activeKey, { id }, { expireIn });
    else op.delete(activeKey);
    const result = await op.commit();
    if (!result.ok) {
      await Promise.all(staged.map((s) => s.discard()));
      throw new ConversationConflictError(turn.conversation!.name);
    }
    // Listed with the conversations, most recently active first.
    if (turn.conversation) {
      // The name's record, made by its first turn, takes that response's creation time.
      const createdAt = response.created_at;
      await this.conversations.touchName(
        turn.conversation.name,
        typeof createdAt === "number" ? createdAt : undefined,
      );
    }
    const stale = [
      ...(isManifest(oldMeta.value) ? chunkKeysOf(oldMeta.value) : []),
      ...(oldTurn.value ? staleChunks(turnEntryOf(oldTurn.value)) : []),
    ];
    if (stale.length) await deleteKeys(this.#kv, stale);
  }

  /**
   * Deletes a response: its object, items and events go; a bare link stays so later turns of
   * the chain keep their older history. A conversation name pointing at it is removed (the
   * next turn on it starts afresh) and is no longer listed among the conversations.
   * @returns false when there was nothing to delete.
   */
  async delete(id: string): Promise<boolean> {
    const meta = await this.meta(id);
    if (!meta) return false;
    const metaKey = this.#key("resp", id);
    const turnKey = [...this.#prefix, "turn", meta.root, meta.depth, id];
    const [metaEntry, stored] = await this.#kv.getMany<[Manifest, StoredTurn]>([
      metaKey,
      turnKey,
    ]);
    const turnEntry = stored.value ? turnEntryOf(stored.value) : null;
    const expireIn = Math.max(1, meta.createdAt + this.#retentionMs - this.#now());
    // The name check fails only when a turn moved the name meanwhile: read it again and retry,
    // or the response would stay while the caller is told it was deleted.
    let unmapped = false;
    for (let committed = false; !committed;) {
      unmapped = false;
      const op = this.#kv.atomic()
        .delete(metaKey)
        .delete(this.#key("active", id))
        .set(turnKey, { prev: meta.previousResponseId } satisfies TurnEntry, { expireIn });
      if (meta.conversation) {
        const convKey = this.#key("conv", meta.conversation);
        const conv = await this.#kv.get<{ responseId: string }>(convKey);
        if (conv.value?.responseId === id) {
          op.check(conv).delete(convKey);
          unmapped = true;
        }
      }
      committed = (await op.commit()).ok;
    }
    // The name no longer leads to any turn: it is not listed as an empty conversation either.
    if (unmapped) await this.conversations.removeNamed(meta.conversation!);
    const items = turnEntry
      ? plainItems(turnEntry) ??
        (turnEntry.items
          ? await resolveManifest<Omit<TurnItems, "id">>(this.#kv, turnEntry.items)
          : null)
      : null;
    await deleteKeys(this.#kv, [
      ...[...(items?.input ?? []), ...(items?.output ?? [])]
        .filter((i) => typeof i.id === "string").map((i) => this.#key("item", i.id as string)),
      ...(isManifest(metaEntry.value) ? chunkKeysOf(metaEntry.value) : []),
      ...(turnEntry ? staleChunks(turnEntry) : []),
      ...(await this.#events.keys(id)),
    ]);
    return true;
  }

  /** A stored item (input or output of any stored response) by its id, or null. */
  async findItem(itemId: string): Promise<ResponseItem | null> {
    const owner = (await this.#kv.get<string>(this.#key("item", itemId))).value;
    if (!owner) return null;
    const meta = await this.meta(owner);
    if (!meta) return null;
    const turn = await this.#turn(meta);
    return [...(turn?.input ?? []), ...(turn?.output ?? [])].find((i) => i.id === itemId) ?? null;
  }

  /** The latest response stored under a conversation name. */
  async conversationHead(name: string): Promise<ConversationHead> {
    const entry = await this.#kv.get<{ responseId: string }>(this.#key("conv", name));
    return { responseId: entry.value?.responseId ?? null, versionstamp: entry.versionstamp };
  }

  /**
   * A conversation name as a conversation object (`id` is the name), or null when no turn on it
   * is stored.
   */
  async namedConversation(name: string): Promise<ConversationObject | null> {
    const head = await this.conversationHead(name);
    const meta = head.responseId ? await this.meta(head.responseId) : null;
    return await this.conversations.named(name, meta?.createdAt);
  }

  /** Every item of a conversation name's chain (each turn's input, then output), oldest first. */
  async namedItems(name: string): Promise<ResponseItem[]> {
    const head = await this.conversationHead(name);
    if (!head.responseId) return [];
    return (await this.history(head.responseId)).flatMap((t) => [...t.input, ...t.output]);
  }

  /**
   * Deletes a conversation name and every stored response of its chain, waiting for a running
   * turn on it to finish. @returns false when the name was unknown.
   */
  deleteNamedConversation(name: string): Promise<boolean> {
    return this.withConversation(name, async () => {
      const head = await this.conversationHead(name);
      const recorded = await this.conversations.removeNamed(name);
      if (!head.responseId) return recorded;
      for (const turn of await this.history(head.responseId)) await this.delete(turn.id);
      await this.#kv.delete(this.#key("conv", name));
      return true;
    });
  }

  /** Conversation names with a stored head, and when their latest turn was stored. */
  async *#storedNames(): AsyncIterable<{ name: string; lastActivityMs: number }> {
    const iter = this.#kv.list<{ responseId: string }>({ prefix: this.#key("conv") }, {
      batchSize: 500,
    });
    for await (const entry of iter) {
      const meta = await this.meta(entry.value.responseId);
      if (meta) yield { name: entry.key.at(-1) as string, lastActivityMs: meta.createdAt };
    }
  }

  /**
   * Runs `task` while holding the conversation name: turns on one name run one after another,
   * in this process (a queue) and across processes sharing the store (a KV lease).
   */
  withConversation<T>(name: string, task: () => Promise<T>): Promise<T> {
    return this.#names.run(name, async () => {
      const release = await acquireLease(this.#kv, this.#key("lease", name), this.#owner);
      try {
        return await task();
      } finally {
        await release();
      }
    });
  }

  /** Stores stream events of a background response, for replay. */
  appendEvents(id: string, events: { sequence_number: number }[]): Promise<void> {
    return this.#events.append(id, events);
  }

  /** Stored events of a response with `sequence_number > after`, in order. */
  events<T = Record<string, unknown>>(id: string, after = -1): Promise<T[]> {
    return this.#events.after<T>(id, after);
  }

  /**
   * Marks every response a previous process left `queued` or `in_progress` as `failed` with
   * error code `server_restarted`. Call once at start-up, before serving.
   * @returns the ids marked.
   */
  async failInterrupted(): Promise<string[]> {
    const ids: string[] = [];
    for await (const entry of this.#kv.list<{ id: string }>({ prefix: this.#key("active") })) {
      ids.push(entry.value.id);
    }
    const marked: string[] = [];
    for (const id of ids) {
      const meta = await this.meta(id);
      if (!meta) {
        await this.#kv.delete(this.#key("active", id));
        continue;
      }
      const status = meta.response.status;
      if (status !== "queued" && status !== "in_progress") {
        await this.#kv.delete(this.#key("active", id));
        continue;
      }
      const turn = await this.#turn(meta);
      const response: ResponseObject = {
        ...meta.response,
        output: turn?.output ?? [],
        status: "failed",
        error: {
          code: "server_restarted",
          type: "server_error",
          message: "The gateway restarted while this response was running.",
        },
      };
      await this.save({
        response,
        input: turn?.input ?? [],
        parent: meta.previousResponseId
          ? { id: meta.previousResponseId, root: meta.root, depth: meta.depth - 1 }
          : null,
        createdAt: meta.createdAt,
      });
      marked.push(id);
    }
    return marked;
  }

  /** Deletes responses older than the retention period. @returns how many were removed. */
  async sweep(): Promise<number> {
    let removed = 0;
    const iter = this.#kv.list<Manifest>({ prefix: this.#key("resp") }, { batchSize: 500 });
    for await (const entry of iter) {
      if (!isManifest(entry.value)) continue;
      const meta = await resolveManifest<StoredResponse>(this.#kv, entry.value);
      if (!this.#expired(meta.createdAt)) continue;
      const turnKey = [...this.#prefix, "turn", meta.root, meta.depth, meta.id];
      const turn = await this.#kv.get<StoredTurn>(turnKey);
      await this.#kv.atomic().delete(entry.key).delete(turnKey).commit();
      await deleteKeys(this.#kv, [
        ...chunkKeysOf(entry.value),
        ...(turn.value ? staleChunks(turnEntryOf(turn.value)) : []),
        ...(await this.#events.keys(meta.id)),
      ]);
      if (meta.conversation) {
        const head = await this.#kv.get<{ responseId: string }>(
          this.#key("conv", meta.conversation),
        );
        if (head.value?.responseId === meta.id) {
          await this.#kv.atomic().check(head).delete(head.key).commit();
        }
      }
      removed++;
    }
    return removed;
  }

  async #turn(meta: StoredResponse): Promise<Omit<TurnItems, "id"> | null> {
    const key = [...this.#prefix, "turn", meta.root, meta.depth, meta.id];
    // A concurrent overwrite may delete the chunks just read about; read again when it did.
    for (let attempt = 0;; attempt++) {
      const entry = await this.#kv.get<StoredTurn>(key);
      if (!entry.value) return null;
      const value = turnEntryOf(entry.value);
      const plain = plainItems(value);
      if (plain) return plain;
      if (!value.items) return null;
      try {
        return await resolveManifest<Omit<TurnItems, "id">>(this.#kv, value.items);
      } catch (error) {
        const now = await this.#kv.get(key);
        if (attempt >= 3 || now.versionstamp === entry.versionstamp) throw error;
      }
    }
  }

  #expired(createdAt: number): boolean {
    return createdAt + this.#retentionMs <= this.#now();
  }

  #key(...parts: Deno.KvKeyPart[]): Deno.KvKey {
    return [...this.#prefix, ...parts];
  }
}
