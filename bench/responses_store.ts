/**
 * The Responses store: time to save a turn, time to rebuild chains of 10, 100 and 1,000 turns
 * from a KV file, and the bytes each save writes (which must not grow with the history); and the
 * Conversations API's paged reads: a page of a long conversation, a page of the conversation list.
 * Bytes are counted on the values and keys handed to KV, through a counting wrapper.
 * @module
 */
import { join } from "node:path";
import { type ChainPosition, ResponseStore } from "../store/mod.ts";
import { median, quantile, round } from "./stats.ts";

/** Store figures. */
export interface ResponsesStoreResult {
  turns: number;
  save_ms_p50: number;
  save_ms_p99: number;
  /** Median rebuild time per chain length. */
  rebuild_ms: Record<string, number>;
  /** Average bytes written per save, at the start, middle and end of the chain. */
  bytes_per_turn: Record<string, number>;
  kv_file_bytes: number;
  /**
   * A Conversations API conversation of `turns` turns (two items each): median ms to read its
   * newest page of 20 items, a page of 20 from the middle (an `after` cursor), and every item.
   */
  conversation_items_ms: { last_page_20: number; middle_page_20: number; all_items: number };
  /** Median ms to list the 20 most recently active of `turns` conversations. */
  conversation_list_20_ms: number;
}

const encoder = new TextEncoder();

function sizeOf(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  return encoder.encode(JSON.stringify(value) ?? "").byteLength;
}

/** Wraps a KV handle so every `set` (plain or atomic) adds its key and value size to a counter. */
function countingKv(kv: Deno.Kv): { kv: Deno.Kv; written: () => number } {
  let bytes = 0;
  const wrapAtomic = (op: Deno.AtomicOperation): Deno.AtomicOperation => {
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (prop === "set") bytes += sizeOf(args[0]) + sizeOf(args[1]);
          const result = value.apply(target, args);
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "atomic") return () => wrapAtomic(target.atomic());
      if (prop === "set") {
        return (key: Deno.KvKey, v: unknown, o?: { expireIn?: number }) => {
          bytes += sizeOf(key) + sizeOf(v);
          return target.set(key, v, o);
        };
      }
      return value.bind(target);
    },
  });
  return { kv: wrapped, written: () => bytes };
}

// Every turn carries the same number of bytes, so any growth comes from the store itself.
function turnOf(i: number) {
  const n = i.toString().padStart(6, "0");
  const id = `resp_${n}`;
  return {
    id,
    input: [{ id: `msg_in${n}`, type: "message", role: "user", content: `question ${n}` }],
    response: {
      id,
      object: "response",
      status: "completed",
      output: [{
        id: `msg_${n}`,
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: `answer ${n} `.repeat(20), annotations: [] }],
      }],
    },
  };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) total += (await Deno.stat(join(dir, e.name))).size;
  return total;
}

/** Builds one chain of `turns` turns and measures it; `repeats` rebuilds per chain length. */
export async function benchResponsesStore(
  options: { turns: number; repeats: number },
): Promise<ResponsesStoreResult> {
  const dir = await Deno.makeTempDir({ prefix: "herald-bench-kv-" });
  const raw = await Deno.openKv(join(dir, "bench.kv"));
  try {
    const { kv, written } = countingKv(raw);
    const store = new ResponseStore(kv);
    const saveMs: number[] = [];
    const bytesPerSave: number[] = [];
    const positions: ChainPosition[] = [];
    let parent = null as ChainPosition | null;
    for (let i = 0; i < options.turns; i++) {
      const { id, input, response } = turnOf(i);
      const before = written();
      const t0 = performance.now();
      await store.save({ response, input, parent });
      saveMs.push(performance.now() - t0);
      bytesPerSave.push(written() - before);
      parent = { id, root: parent?.root ?? id, depth: (parent?.depth ?? -1) + 1 };
      positions.push(parent);
    }
    const rebuild: Record<string, number> = {};
    for (const length of [10, 100, 1000].filter((n) => n <= options.turns)) {
      const head = positions[length - 1].id;
      const runs: number[] = [];
      for (let r = 0; r < options.repeats; r++) {
        const t0 = performance.now();
        const turns = await store.history(head);
        runs.push(performance.now() - t0);
        if (turns.length !== length) {
          throw new Error(`Expected ${length} turns, got ${turns.length}`);
        }
      }
      rebuild[String(length)] = round(median(runs), 2);
    }
    const conversation = await benchConversation(store, options);
    const avg = (from: number, to: number) => {
      const slice = bytesPerSave.slice(from, to);
      return round(slice.reduce((a, b) => a + b, 0) / slice.length, 1);
    };
    const n = options.turns;
    return {
      turns: n,
      save_ms_p50: round(quantile(saveMs, 0.5), 3),
      save_ms_p99: round(quantile(saveMs, 0.99), 3),
      rebuild_ms: rebuild,
      bytes_per_turn: {
        "turns 1-10": avg(0, 10),
        [`turns ${Math.floor(n / 2) + 1}-${Math.floor(n / 2) + 10}`]: avg(n / 2, n / 2 + 10),
        [`turns ${n - 9}-${n}`]: avg(n - 10, n),
      },
      kv_file_bytes: await dirBytes(dir),
      ...conversation,
    };
  } finally {
    raw.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Median ms of `repeats` runs of `task`. */
async function timed(repeats: number, task: () => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await task();
    runs.push(performance.now() - t0);
  }
  return round(median(runs), 2);
}

/** Pages of a long Conversations API conversation, and the list of many conversations. */
async function benchConversation(
  store: ResponseStore,
  options: { turns: number; repeats: number },
): Promise<Pick<ResponsesStoreResult, "conversation_items_ms" | "conversation_list_20_ms">> {
  const conversations = store.conversations;
  const conv = await conversations.create({ title: "long" }, []);
  for (let i = 0; i < options.turns; i++) {
    const { input, response } = turnOf(i);
    await conversations.append(conv.id, [...input, ...response.output]);
  }
  const middle = `msg_${Math.floor(options.turns / 2).toString().padStart(6, "0")}`;
  const page = { order: "desc", limit: 20 } as const;
  const check = (n: number, expected: number) => {
    if (n !== expected) throw new Error(`Expected ${expected} items, got ${n}`);
  };
  const items = {
    last_page_20: await timed(options.repeats, async () => {
      check((await conversations.itemsPage(conv.id, page)).data.length, 20);
    }),
    middle_page_20: await timed(options.repeats, async () => {
      check((await conversations.itemsPage(conv.id, { ...page, after: middle })).data.length, 20);
    }),
    all_items: await timed(options.repeats, async () => {
      check((await conversations.items(conv.id)).length, options.turns * 2);
    }),
  };
  for (let i = 1; i < options.turns; i++) await conversations.create({ n: String(i) }, []);
  const list = await timed(options.repeats, async () => {
    check((await conversations.list(page)).data.length, 20);
  });
  return { conversation_items_ms: items, conversation_list_20_ms: list };
}
