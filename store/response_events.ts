/**
 * The stream events of background responses, kept for replay (`GET /v1/responses/{id}?stream=true`).
 * @module
 */
import { chunkKeysOf, isManifest, type Manifest, resolveManifests, stageMany } from "./chunked.ts";

/** Where and how long a {@link ResponseEventLog} keeps events. */
export interface ResponseEventLogOptions {
  /** The response store's key prefix. */
  prefix: Deno.KvKey;
  /** Milliseconds events are kept. */
  retentionMs: number;
}

/** Background-run events in Deno KV, keyed by response id and sequence number. */
export class ResponseEventLog {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #retentionMs: number;

  constructor(kv: Deno.Kv, options: ResponseEventLogOptions) {
    this.#kv = kv;
    this.#prefix = options.prefix;
    this.#retentionMs = options.retentionMs;
  }

  /** Stores stream events of a background response, for replay. */
  async append(id: string, events: { sequence_number: number }[]): Promise<void> {
    if (events.length === 0) return;
    const expireIn = this.#retentionMs;
    const staged = await stageMany(this.#kv, events, {
      expireIn,
      chunkPrefix: this.#key("chunk"),
    });
    for (let i = 0; i < staged.length; i += 500) {
      const op = this.#kv.atomic();
      for (let j = i; j < Math.min(i + 500, staged.length); j++) {
        op.set(this.#key("event", id, events[j].sequence_number), staged[j].manifest, {
          expireIn,
        });
      }
      await op.commit();
    }
  }

  /** Stored events of a response with `sequence_number > after`, in order. */
  async after<T = Record<string, unknown>>(id: string, after = -1): Promise<T[]> {
    const manifests: Manifest[] = [];
    const iter = this.#kv.list<Manifest>({
      start: this.#key("event", id, after + 1),
      end: [...this.#key("event", id), Number.MAX_SAFE_INTEGER],
    }, { batchSize: 500 });
    for await (const entry of iter) if (isManifest(entry.value)) manifests.push(entry.value);
    return await resolveManifests<T>(this.#kv, manifests);
  }

  /** Every key (chunks included) holding the events of response `id`. */
  async keys(id: string): Promise<Deno.KvKey[]> {
    const keys: Deno.KvKey[] = [];
    for await (const entry of this.#kv.list<Manifest>({ prefix: this.#key("event", id) })) {
      keys.push(entry.key);
      if (isManifest(entry.value)) keys.push(...chunkKeysOf(entry.value));
    }
    return keys;
  }

  #key(...parts: Deno.KvKeyPart[]): Deno.KvKey {
    return [...this.#prefix, ...parts];
  }
}
