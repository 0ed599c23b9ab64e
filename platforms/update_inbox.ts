/**
 * The durable inbox of platform updates, kept by the host in Deno KV (workers have no KV). An
 * update is stored before the platform is told it arrived (Telegram's polling offset moves, a
 * Slack envelope is acknowledged, a webhook POST is answered), and stays pending until its reply
 * was sent; on start, pending updates are handled again. Handled entries are kept a day, as long
 * as a platform may deliver an update again, so a redelivery is recognised and not answered
 * twice.
 * @module
 */
import type { PlatformUpdate } from "./protocol.ts";

/** One stored update. */
export interface InboxEntry {
  update: PlatformUpdate;
  /** How many times the update was given to a worker to handle. */
  attempts: number;
  done: boolean;
  /** When it was stored (ms since the epoch), for replaying in arrival order. */
  at: number;
}

/** How long handled entries are remembered; Telegram keeps undelivered updates for 24 hours. */
const DONE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Updates waiting for (or remembered after) their reply, per platform (the KV prefix). Without a
 * KV handle it keeps them in memory, which survives worker restarts but not a process restart.
 *
 * @example
 * ```ts
 * const inbox = new UpdateInbox(kv, { prefix: ["slack", "inbox"] });
 * if (await inbox.add(update)) handle(update);
 * await inbox.markDone(update.id);
 * ```
 */
export class UpdateInbox {
  #kv: Deno.Kv | undefined;
  #prefix: Deno.KvKey;
  #memory = new Map<string, InboxEntry>();

  constructor(kv?: Deno.Kv, options: { prefix?: Deno.KvKey } = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["telegram", "inbox"];
  }

  /** Stores a new update. Returns false when it is already known (a redelivery). */
  async add(update: PlatformUpdate): Promise<boolean> {
    const entry: InboxEntry = { update, attempts: 0, done: false, at: Date.now() };
    if (!this.#kv) {
      if (this.#memory.has(update.id)) return false;
      this.#memory.set(update.id, entry);
      return true;
    }
    const key = this.#key(update.id);
    const result = await this.#kv.atomic().check({ key, versionstamp: null }).set(key, entry)
      .commit();
    return result.ok;
  }

  /** The entry of an update, if stored. */
  async get(id: string): Promise<InboxEntry | undefined> {
    if (!this.#kv) return this.#memory.get(id);
    return (await this.#kv.get<InboxEntry>(this.#key(id))).value ?? undefined;
  }

  /** Pending updates, oldest first. */
  async pending(): Promise<InboxEntry[]> {
    let entries: InboxEntry[];
    if (!this.#kv) entries = [...this.#memory.values()].filter((e) => !e.done);
    else {
      entries = [];
      for await (const item of this.#kv.list<InboxEntry>({ prefix: this.#prefix })) {
        // Entries of an older layout (no id) are skipped rather than guessed at.
        if (!item.value.done && typeof item.value.update?.id === "string") entries.push(item.value);
      }
    }
    return entries.sort(arrivalOrder);
  }

  /** Counts one more attempt at handling an update; returns the attempts before this one. */
  async countAttempt(id: string): Promise<number> {
    const entry = await this.get(id);
    if (!entry) return 0;
    await this.#put({ ...entry, attempts: entry.attempts + 1 });
    return entry.attempts;
  }

  /** Records that an update needs nothing more: its reply was sent, or it was given up. */
  async markDone(id: string): Promise<void> {
    const entry = await this.get(id);
    if (!entry || entry.done) return;
    // Only the id is remembered: the message itself is not kept once answered.
    await this.#put({ update: { id, payload: null }, attempts: entry.attempts, done: true, at: 0 });
  }

  async #put(entry: InboxEntry): Promise<void> {
    const id = entry.update.id;
    if (!this.#kv) {
      this.#memory.set(id, entry);
      return;
    }
    await this.#kv.set(this.#key(id), entry, entry.done ? { expireIn: DONE_TTL_MS } : undefined);
  }

  #key(id: string): Deno.KvKey {
    return [...this.#prefix, id];
  }
}

/** Numeric ids (Telegram update ids, Discord snowflakes) in number order; others by arrival. */
function arrivalOrder(a: InboxEntry, b: InboxEntry): number {
  const x = a.update.id, y = b.update.id;
  if (/^\d+$/.test(x) && /^\d+$/.test(y)) {
    return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
  }
  return a.at - b.at;
}
