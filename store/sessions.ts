/**
 * Chat histories for platforms that keep a conversation per chat (Telegram, the CLI). Each turn
 * appends only its new messages, so a turn's write is proportional to the turn, not the history.
 * @module
 */
import { deleteKeys, isManifest, type Manifest, resolveManifests, stageMany } from "./chunked.ts";
import { KeyedQueue } from "./keyed_queue.ts";

/** Options for a {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Key prefix for everything this store writes; default `["sessions"]`. */
  prefix?: Deno.KvKey;
  /** Milliseconds until stored messages may be dropped; default: kept. */
  expireIn?: number;
}

/** A session's head: which generation is current and how many messages it holds. */
interface Head {
  generation: number;
  count: number;
}

/**
 * Append-only chat histories in Deno KV, one per session id. The store does not look inside the
 * messages: `M` is whatever message type its user keeps (the agent's `ChatMessage`).
 *
 * @example
 * ```ts
 * const sessions = new SessionStore<ChatMessage>(kv);
 * await sessions.append("tg:42", [{ role: "user", content: "hi" }]);
 * const history = await sessions.load("tg:42");
 * await sessions.clear("tg:42"); // /new: the next load is empty
 * ```
 */
export class SessionStore<M = unknown> {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #expireIn?: number;
  readonly #queue = new KeyedQueue();

  constructor(kv: Deno.Kv, options: SessionStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["sessions"];
    this.#expireIn = options.expireIn;
  }

  /** The session's messages, oldest first (empty for an unknown session). */
  async load(sessionId: string): Promise<M[]> {
    const head = (await this.#kv.get<Head>(this.#headKey(sessionId))).value;
    if (!head) return [];
    const manifests: Manifest[] = [];
    const iter = this.#kv.list<Manifest>(
      { prefix: [...this.#prefix, "msg", sessionId, head.generation] },
      { batchSize: 500 },
    );
    for await (const entry of iter) {
      if (isManifest(entry.value)) manifests.push(entry.value);
    }
    return await resolveManifests<M>(this.#kv, manifests);
  }

  /** Appends a turn's new messages. Appends to one session are applied in call order. */
  append(sessionId: string, messages: M[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return this.#queue.run(sessionId, () => this.#append(sessionId, messages));
  }

  /** Starts a fresh session under the same id; the old messages are deleted. */
  clear(sessionId: string): Promise<void> {
    return this.#queue.run(sessionId, async () => {
      const headKey = this.#headKey(sessionId);
      for (;;) {
        const entry = await this.#kv.get<Head>(headKey);
        const old = entry.value;
        const next: Head = { generation: (old?.generation ?? 0) + 1, count: 0 };
        const result = await this.#kv.atomic()
          .check(entry)
          .set(headKey, next, { expireIn: this.#expireIn })
          .commit();
        if (!result.ok) continue;
        if (old) await this.#deleteGeneration(sessionId, old.generation);
        return;
      }
    });
  }

  async #append(sessionId: string, messages: M[]): Promise<void> {
    const headKey = this.#headKey(sessionId);
    // The in-process queue orders appends; the versionstamp check covers other processes
    // sharing the store, in which case the append is redone on the new head.
    for (;;) {
      const entry = await this.#kv.get<Head>(headKey);
      const head = entry.value ?? { generation: 1, count: 0 };
      const staged = await stageMany(this.#kv, messages, {
        expireIn: this.#expireIn,
        chunkPrefix: [...this.#prefix, "chunk"],
      });
      const op = this.#kv.atomic().check(entry);
      staged.forEach((s, i) =>
        op.set(
          [...this.#prefix, "msg", sessionId, head.generation, head.count + i],
          s.manifest,
          { expireIn: this.#expireIn },
        )
      );
      op.set(headKey, { generation: head.generation, count: head.count + messages.length }, {
        expireIn: this.#expireIn,
      });
      const result = await op.commit();
      if (result.ok) return;
      await Promise.all(staged.map((s) => s.discard()));
    }
  }

  async #deleteGeneration(sessionId: string, generation: number): Promise<void> {
    const keys: Deno.KvKey[] = [];
    const iter = this.#kv.list<Manifest>({
      prefix: [...this.#prefix, "msg", sessionId, generation],
    }, { batchSize: 500 });
    for await (const entry of iter) {
      keys.push(entry.key);
      if (isManifest(entry.value) && !("inline" in entry.value)) {
        const m = entry.value;
        for (let i = 0; i < m.chunks; i++) keys.push([...m.prefix, m.version, i]);
      }
    }
    await deleteKeys(this.#kv, keys);
  }

  #headKey(sessionId: string): Deno.KvKey {
    return [...this.#prefix, "head", sessionId];
  }
}
