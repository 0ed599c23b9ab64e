import assert from "node:assert/strict";
import { join } from "node:path";
import { openKv } from "../../store/mod.ts";
import { ResponseStore } from "../../store/mod.ts";

const writer = new URL("./fixtures/kv_writer.ts", import.meta.url).pathname;

/** Starts the writer child and resolves once it has acknowledged its write. */
async function startWriter(path: string, id: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", writer, path, id],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes(`ack ${id}`)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`writer exited before acknowledging: ${seen}`);
    seen += value;
  }
  return { child, reader };
}

async function kill9(run: Awaited<ReturnType<typeof startWriter>>) {
  run.child.kill("SIGKILL");
  await run.reader.cancel();
  await run.child.status;
}

Deno.test("openKv defaults to herald.kv in the home folder, creating it", async () => {
  const home = join(await Deno.makeTempDir(), "nested", "home");
  const kv = await openKv(undefined, home);
  try {
    await kv.set(["k"], 1);
    assert.ok((await Deno.stat(join(home, "herald.kv"))).isFile);
  } finally {
    kv.close();
    await Deno.remove(join(home, "..", ".."), { recursive: true });
  }
});

Deno.test("a second process cannot open a KV file another Herald holds", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "herald.kv");
  const run = await startWriter(path, "resp_lock");
  try {
    await assert.rejects(openKv(path, dir), /another Herald process is using it \(.*pid \d+/);
  } finally {
    await kill9(run);
  }
  const kv = await openKv(path, dir); // the dead process's lock is gone
  kv.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an acknowledged write survives kill -9 of the writer", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "herald.kv");
  await kill9(await startWriter(path, "resp_durable"));
  const kv = await openKv(path, dir);
  try {
    const store = new ResponseStore(kv);
    const got = await store.get("resp_durable");
    assert.equal(got?.status, "completed");
    assert.equal((got!.output as { text: string }[])[0].text.length, 200_000);
    assert.deepEqual((await store.history("resp_durable")).map((t) => t.input[0].content), [
      "hello",
    ]);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openKv accepts :memory:", async () => {
  const kv = await openKv(":memory:", "/nonexistent");
  await kv.set(["a"], 1);
  assert.equal((await kv.get(["a"])).value, 1);
  kv.close();
});
