/**
 * Measures rebuilding a 1,000-turn Responses chain from a KV file, and the bytes a turn writes
 * at the start and at the end of the chain (which should not differ).
 * Run: deno run -A --unstable-kv bench/responses_chain.ts
 * @module
 */
import { join } from "node:path";
import { ResponseStore } from "../store/responses.ts";
import type { ChainPosition } from "../store/responses.ts";

const TURNS = 1000;
const dir = await Deno.makeTempDir();
const path = join(dir, "bench.kv");
const kv = await Deno.openKv(path);
const store = new ResponseStore(kv);

async function fileBytes(): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) total += (await Deno.stat(join(dir, e.name))).size;
  return total;
}

function turnInput(i: number) {
  return [{ id: `msg_in${i}`, type: "message", role: "user", content: `question ${i}` }];
}

let parent = null as ChainPosition | null;
const perTurnEncoded: number[] = [];
for (let i = 0; i < TURNS; i++) {
  const id = `resp_${i.toString().padStart(6, "0")}`;
  const response = {
    id,
    object: "response",
    status: "completed",
    output: [{
      id: `msg_${i}`,
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: `answer ${i} `.repeat(20), annotations: [] }],
    }],
  };
  const input = turnInput(i);
  perTurnEncoded.push(new TextEncoder().encode(JSON.stringify({ response, input })).byteLength);
  await store.save({ response, input, parent });
  parent = { id, root: parent?.root ?? id, depth: (parent?.depth ?? -1) + 1 };
}

const runs: number[] = [];
for (let r = 0; r < 50; r++) {
  const t0 = performance.now();
  const turns = await store.history(parent!.id);
  runs.push(performance.now() - t0);
  if (turns.length !== TURNS) throw new Error(`expected ${TURNS} turns, got ${turns.length}`);
}
runs.sort((a, b) => a - b);
const result = {
  turns: TURNS,
  rebuild_ms_median: Number(runs[runs.length >> 1].toFixed(2)),
  rebuild_ms_min: Number(runs[0].toFixed(2)),
  bytes_per_turn_first: perTurnEncoded[0],
  bytes_per_turn_last: perTurnEncoded[TURNS - 1],
  kv_file_bytes: await fileBytes(),
};
console.log(JSON.stringify(result, null, 2));
kv.close();
await Deno.remove(dir, { recursive: true });
