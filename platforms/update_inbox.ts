/**
 * The durable inbox of Telegram updates, kept by the host in Deno KV (the worker has no KV).
 * An update is stored before Telegram is told it arrived (the polling offset moves, or the
 * webhook POST is answered), and stays pending until its reply was sent; on start, pending
 * updates are handled again. Handled entries are kept a day, as long as Telegram may deliver an
 * update again, so a redelivery is recognised and not answered twice.
 * @module
 */

/** One stored update. */
export interface InboxEntry {
  update: { update_id: number; [key: string]: unknown };
  /** How many times the update was given to a worker to handle. */
  attempts: number;
  done: boolean;
}

/** How long handled entries are remembered; Telegram keeps undelivered updates for 24 hours. */
const DONE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Telegram updates waiting for (or remembered after) their reply. Without a KV handle it keeps
 * them in memory, which survives worker restarts but not a process restart.
 *
 * @example
 * ```ts
 * const inbox = new UpdateInbox(kv);
 * if (await inbox.add(update)) handle(update);
 * await inbox.markDone(update.update_id);
 * ```
 */
export class UpdateInbox {
  #kv: Deno.Kv | undefined;
  #prefix: Deno.KvKey;
  #memory = new Map<number, InboxEntry>();

  constructor(kv?: Deno.Kv, options: { prefix?: Deno.KvKey } = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["telegram", "inbox"];
  }

  /** Stores a new update. Returns false when it is already known (a redelivery). */
  async add(update: InboxEntry["update"]): Promise<boolean> {
    const entry: InboxEntry = { update, attempts: 0, done: false };
    if (!this.#kv) {
      if (this.#memory.has(update.update_id)) return false;
      this.#memory.set(update.update_id, entry);
      return true;
    }
    const key = this.#key(update.update_id);
    const result = await this.#kv.atomic().check({ key, versionstamp: null }).set(key, entry)
      .commit();
    return result.ok;
  }

  /** The entry of an update, if stored. */
  async get(updateId: number): Promise<InboxEntry | undefined> {
    if (!this.#kv) return this.#memory.get(updateId);
    return (await this.#kv.get<InboxEntry>(this.#key(updateId))).value ?? undefined;
  }

  /** Pending updates, oldest first. */
  async pending(): Promise<InboxEntry[]> {
    if (!this.#kv) return [...this.#memory.values()].filter((e) => !e.done);
    const entries: InboxEntry[] = [];
    for await (const item of this.#kv.list<InboxEntry>({ prefix: this.#prefix })) {
      if (!item.value.done) entries.push(item.value);
    }
    return entries;
  }

  /** Counts one more attempt at handling an update; returns the attempts before this one. */
  async countAttempt(updateId: number): Promise<number> {
    const entry = await this.get(updateId);
    if (!entry) return 0;
    await this.#put({ ...entry, attempts: entry.attempts + 1 });
    return entry.attempts;
  }

  /** Records that an update needs nothing more: its reply was sent, or it was given up. */
  async markDone(updateId: number): Promise<void> {
    const entry = await this.get(updateId);
    if (!entry || entry.done) return;
    // Only the id is remembered: the message itself is not kept once answered.
    await this.#put({ update: { update_id: updateId }, attempts: entry.attempts, done: true });
  }

  async #put(entry: InboxEntry): Promise<void> {
    const id = entry.update.update_id;
    if (!this.#kv) {
      this.#memory.set(id, entry);
      return;
    }
    await this.#kv.set(
      this.#key(id),
      entry,
      entry.done ? { expireIn: DONE_TTL_MS } : undefined,
    );
  }

  #key(updateId: number): Deno.KvKey {
    return [...this.#prefix, updateId];
  }
}
