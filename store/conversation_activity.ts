/**
 * The "most recently active" index of conversations, so listing them reads one page of KV keys
 * instead of every conversation. Two entries per conversation:
 * `[…, "recent", position] → id` (sorted by last activity) and `[…, "activity", id] → position`
 * (to find and move the first). An index entry counts only while both agree, so a stale one
 * (a race, a crash between writes, an expired conversation) is skipped, never shown twice.
 * @module
 */
import { CursorNotFoundError } from "./errors.ts";

/** How a page of a list is asked for: the order, size and exclusive `after` / `before` cursors. */
export interface PageQuery {
  order: "asc" | "desc";
  /** 1–100. */
  limit: number;
  /** Start after this id (exclusive). */
  after?: string | null;
  /** Stop before this id (exclusive). */
  before?: string | null;
}

/** One page of a list, in the requested order. */
export interface Page<T> {
  data: T[];
  has_more: boolean;
}

/** Upper bound for position strings (base-36 digits and hex: all below `~`). */
const TOP = "~";

/** Marks a store whose conversations from before the index have been indexed. */
const INDEX_VERSION = 1;

/** The recent-activity index over one conversation store's prefix. */
export class ConversationActivity {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #retentionMs: number;
  #migrated: Promise<void> | null = null;

  constructor(kv: Deno.Kv, prefix: Deno.KvKey, retentionMs: number) {
    this.#kv = kv;
    this.#prefix = prefix;
    this.#retentionMs = retentionMs;
  }

  /**
   * Moves `id` to `position` (a sortable string, later is newer), refreshing the expiry of the
   * conversation object at `convKey` at the same time. Does nothing when it no longer exists.
   */
  async touch(id: string, convKey: Deno.KvKey, position: string): Promise<void> {
    const activityKey = this.#key("activity", id);
    for (;;) {
      const [conv, activity] = await this.#kv.getMany<[unknown, string]>([convKey, activityKey]);
      if (conv.value === null) return;
      const op = this.#kv.atomic().check(conv, activity)
        .set(convKey, conv.value, { expireIn: this.#retentionMs })
        .set(activityKey, position, { expireIn: this.#retentionMs })
        .set(this.#key("recent", position), id, { expireIn: this.#retentionMs });
      if (activity.value !== null && activity.value !== position) {
        op.delete(this.#key("recent", activity.value));
      }
      if ((await op.commit()).ok) return;
    }
  }

  /** Removes `id` from the index. */
  async remove(id: string): Promise<void> {
    const activityKey = this.#key("activity", id);
    const activity = await this.#kv.get<string>(activityKey);
    const op = this.#kv.atomic().delete(activityKey);
    if (activity.value !== null) op.delete(this.#key("recent", activity.value));
    await op.commit();
  }

  /**
   * One page of conversation ids, most recent first for `desc`. `exists` reads the objects of
   * candidate ids (null for gone ones), which are skipped.
   *
   * @throws CursorNotFoundError when `after` or `before` names no listed conversation.
   */
  async page<T>(
    query: PageQuery,
    read: (ids: string[]) => Promise<(T | null)[]>,
    legacy: () => AsyncIterable<{ id: string; position: string }>,
  ): Promise<Page<T>> {
    this.#migrated ??= this.#migrate(legacy).catch((error) => {
      this.#migrated = null; // try again on the next listing
      throw error;
    });
    await this.#migrated;
    const desc = query.order === "desc";
    const [afterAt, beforeAt] = await Promise.all([
      this.#cursor(query.after, "after"),
      this.#cursor(query.before, "before"),
    ]);
    // In descending order `after` bounds the range from above; `before` from below.
    const low = desc ? beforeAt : afterAt;
    const high = desc ? afterAt : beforeAt;
    const iter = this.#kv.list<string>({
      // "\0" makes the lower bound exclusive: no position extends another.
      start: this.#key("recent", low === null ? "" : `${low}\0`),
      end: this.#key("recent", high ?? TOP),
    }, { reverse: desc, batchSize: query.limit + 1 });
    const data: T[] = [];
    let batch: { id: string; position: string }[] = [];
    const flush = async () => {
      const positions = await Promise.all(
        batch.map(async ({ id }) => (await this.#kv.get<string>(this.#key("activity", id))).value),
      );
      const current = batch.filter((entry, i) => positions[i] === entry.position);
      const objects = await read(current.map((c) => c.id));
      for (const object of objects) if (object !== null) data.push(object);
      batch = [];
    };
    for await (const entry of iter) {
      batch.push({ id: entry.value, position: entry.key.at(-1) as string });
      if (batch.length + data.length > query.limit) await flush();
      if (data.length > query.limit) break;
    }
    if (batch.length) await flush();
    return { data: data.slice(0, query.limit), has_more: data.length > query.limit };
  }

  async #cursor(id: string | null | undefined, param: "after" | "before"): Promise<string | null> {
    if (!id) return null;
    const position = (await this.#kv.get<string>(this.#key("activity", id))).value;
    if (position === null) throw new CursorNotFoundError(param, id);
    return position;
  }

  /**
   * Indexes conversations stored before the index existed (once per store: a marker records it).
   * Their activity is their last item's position, or their creation time.
   */
  async #migrate(legacy: () => AsyncIterable<{ id: string; position: string }>): Promise<void> {
    const marker = this.#key("activity_index");
    if ((await this.#kv.get(marker)).value === INDEX_VERSION) return;
    for await (const { id, position } of legacy()) {
      const activityKey = this.#key("activity", id);
      // Only where nothing indexed it meanwhile (a turn in this or another process).
      await this.#kv.atomic().check({ key: activityKey, versionstamp: null })
        .set(activityKey, position, { expireIn: this.#retentionMs })
        .set(this.#key("recent", position), id, { expireIn: this.#retentionMs })
        .commit();
    }
    await this.#kv.set(marker, INDEX_VERSION);
  }

  #key(...parts: Deno.KvKeyPart[]): Deno.KvKey {
    return [...this.#prefix, ...parts];
  }
}
