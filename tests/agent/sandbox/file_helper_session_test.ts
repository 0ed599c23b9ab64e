/**
 * The turn's file helper, run for real in the sandbox: calls reuse one process (counted in
 * /proc), which ends with the session, the turn's abort, a time limit, idling or the cap; a
 * helper killed from outside is replaced for the next call.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  FileHelperError,
  FileHelperPool,
  type FileHelperRequest,
  FileHelperSession,
  Sandbox,
  sandboxSettings,
} from "../../../agent/mod.ts";
import { liveFileHelpers, tempDir } from "../tools/helpers.ts";

const sandbox = await Sandbox.create(sandboxSettings({ mode: "workspace-write" }));

const limits = (signal = new AbortController().signal, timeoutMs = 30_000) => ({
  signal,
  timeoutMs,
  maxResponseBytes: 1024 * 1024,
});

const read = (root: string, name: string, maxBytes = 1024 * 1024): FileHelperRequest => ({
  op: "read",
  path: join(root, name),
  roots: [root],
  maxBytes,
});

Deno.test("twenty calls in one session are served by one helper process", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  const pool = new FileHelperPool(4);
  const session = new FileHelperSession(sandbox, { workspace: ws.path, pool });
  const seen = new Set<number>();
  try {
    for (let i = 0; i < 10; i++) {
      const wrote = await session.call(
        { op: "write", path: join(ws.path, `f${i}.txt`), roots: [ws.path], content: `n${i}` },
        limits(),
      );
      assert.equal(wrote.ok, true);
      const answer = await session.call(read(ws.path, `f${i}.txt`), limits());
      assert.deepEqual(answer.ok && answer.text, `n${i}`);
      const live = await liveFileHelpers(ws.path);
      assert.deepEqual(live, [session.pid], "exactly one helper runs, the session's");
      seen.add(live[0]);
    }
    assert.equal(seen.size, 1);
    assert.equal(session.started, 1);
    assert.equal(pool.size, 1);
  } finally {
    await session.close();
  }
  assert.deepEqual(await liveFileHelpers(ws.path), [], "closing the session ends the helper");
  assert.equal(pool.size, 0);
  await assert.rejects(session.call(read(ws.path, "a.txt"), limits()), /was closed/);
});

Deno.test("a call outside any turn (keep: false) ends its helper before it returns", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  const pool = new FileHelperPool(4);
  await using session = new FileHelperSession(sandbox, { workspace: ws.path, pool, keep: false });
  for (let i = 0; i < 2; i++) {
    const answer = await session.call(read(ws.path, "a.txt"), limits());
    assert.equal(answer.ok && answer.text, "alpha");
    assert.deepEqual(await liveFileHelpers(ws.path), []);
  }
  assert.equal(session.started, 2);
  assert.equal(pool.size, 0);
});

Deno.test("aborting the turn's signal kills the helper at once; later calls are refused", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  const turn = new AbortController();
  await using session = new FileHelperSession(sandbox, {
    workspace: ws.path,
    signal: turn.signal,
    pool: new FileHelperPool(4),
  });
  await session.call(read(ws.path, "a.txt"), limits(turn.signal));
  const helper = session.helper!;
  assert.deepEqual(await liveFileHelpers(ws.path), [helper.pid]);
  turn.abort(new Error("client left"));
  await helper.exited;
  assert.deepEqual(await liveFileHelpers(ws.path), []);
  await assert.rejects(session.call(read(ws.path, "a.txt"), limits(turn.signal)), /client left/);
});

Deno.test("a call aborted while it runs ends with the abort; the session keeps serving", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  await using session = new FileHelperSession(sandbox, {
    workspace: ws.path,
    pool: new FileHelperPool(4),
  });
  await session.call(read(ws.path, "a.txt"), limits());
  const first = session.pid;
  const call = new AbortController();
  const running = session.call(read(ws.path, "a.txt"), limits(call.signal));
  call.abort(new Error("stopped by /stop"));
  // The answer may already be on its way; either way the call ends, and no call hangs.
  await running.then(() => {}, (e) => assert.match(String(e), /stopped by \/stop/));
  const next = await session.call(read(ws.path, "a.txt"), limits());
  assert.equal(next.ok && next.text, "alpha");
  assert.deepEqual(await liveFileHelpers(ws.path), [session.pid]);
  assert.ok(first !== null);
});

Deno.test("a call over its time limit is killed with its helper; the next call gets a fresh one", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  await using session = new FileHelperSession(sandbox, {
    workspace: ws.path,
    pool: new FileHelperPool(4),
  });
  // 1 ms: no helper starts and answers that fast, so the limit always ends this call.
  await assert.rejects(
    session.call(read(ws.path, "a.txt"), limits(undefined, 1)),
    (e) => e instanceof FileHelperError && /did not finish within 0\.001 s/.test(e.message),
  );
  assert.deepEqual(await liveFileHelpers(ws.path), [], "the hung helper is gone");
  const answer = await session.call(read(ws.path, "a.txt"), limits());
  assert.equal(answer.ok && answer.text, "alpha");
  assert.equal(session.started, 2);
});

Deno.test("a helper killed from outside is replaced for the next call", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  await using session = new FileHelperSession(sandbox, {
    workspace: ws.path,
    pool: new FileHelperPool(4),
  });
  await session.call(read(ws.path, "a.txt"), limits());
  const killed = session.helper!;
  Deno.kill(-killed.pid, "SIGKILL");
  await killed.exited;
  const answer = await session.call(read(ws.path, "a.txt"), limits());
  assert.equal(answer.ok && answer.text, "alpha");
  assert.notEqual(session.pid, killed.pid);
  assert.deepEqual(await liveFileHelpers(ws.path), [session.pid]);
});

Deno.test("a helper that dies during a call fails that call clearly; the next call works", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "big.txt"), "x".repeat(8 * 1024 * 1024));
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  await using session = new FileHelperSession(sandbox, {
    workspace: ws.path,
    pool: new FileHelperPool(4),
  });
  await session.call(read(ws.path, "a.txt"), limits());
  const victim = session.helper!;
  // The helper is killed while it works on a large read: the call cannot get an answer.
  const running = session.call(
    read(ws.path, "big.txt", 16 * 1024 * 1024),
    { ...limits(), maxResponseBytes: 32 * 1024 * 1024 },
  );
  Deno.kill(-victim.pid, "SIGKILL");
  await running.then(
    (answer) => assert.equal(answer.ok, true), // it won the race: a whole, correct answer
    (e) => assert.match(String(e), /file helper stopped \(killed by SIGKILL\)/),
  );
  const answer = await session.call(read(ws.path, "a.txt"), limits());
  assert.equal(answer.ok && answer.text, "alpha");
  assert.notEqual(session.pid, victim.pid);
});

Deno.test("an idle helper is killed after its idle time; the next call starts another", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  const pool = new FileHelperPool(4);
  await using session = new FileHelperSession(sandbox, { workspace: ws.path, pool, idleMs: 1 });
  await session.call(read(ws.path, "a.txt"), limits());
  const idle = session.helper!;
  await idle.exited;
  assert.equal(pool.size, 0);
  assert.deepEqual(await liveFileHelpers(ws.path), []);
  await session.call(read(ws.path, "a.txt"), limits());
  assert.equal(session.started, 2);
});

Deno.test("two sessions on one workspace never share a helper", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  const pool = new FileHelperPool(4);
  await using a = new FileHelperSession(sandbox, { workspace: ws.path, pool });
  await using b = new FileHelperSession(sandbox, { workspace: ws.path, pool });
  await Promise.all([
    a.call(read(ws.path, "a.txt"), limits()),
    b.call(read(ws.path, "a.txt"), limits()),
  ]);
  assert.notEqual(a.pid, b.pid);
  assert.deepEqual(await liveFileHelpers(ws.path), [a.pid!, b.pid!].sort((x, y) => x - y));
  assert.equal(pool.size, 2);
});

Deno.test("at the cap, the least recently used idle helper of another session makes room", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  const pool = new FileHelperPool(1);
  await using a = new FileHelperSession(sandbox, { workspace: ws.path, pool });
  await using b = new FileHelperSession(sandbox, { workspace: ws.path, pool });
  await a.call(read(ws.path, "a.txt"), limits());
  const evicted = a.helper!;
  await b.call(read(ws.path, "a.txt"), limits());
  await evicted.exited;
  assert.equal(pool.size, 1);
  assert.deepEqual(await liveFileHelpers(ws.path), [b.pid]);
  // a's next call gets a helper again (evicting b's, now the idle one).
  const answer = await a.call(read(ws.path, "a.txt"), limits());
  assert.equal(answer.ok && answer.text, "alpha");
  assert.equal(a.started, 2);
  assert.equal(pool.size, 1);
});

Deno.test("at the cap with every helper busy, a new helper serves its call and ends", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  const pool = new FileHelperPool(1);
  await using a = new FileHelperSession(sandbox, { workspace: ws.path, pool });
  await using b = new FileHelperSession(sandbox, { workspace: ws.path, pool });
  // Both start at once: one takes the only place, the other may not evict a busy helper.
  const answers = await Promise.all([
    a.call(read(ws.path, "a.txt"), limits()),
    b.call(read(ws.path, "a.txt"), limits()),
  ]);
  assert.ok(answers.every((x) => x.ok && x.text === "alpha"));
  assert.equal(pool.size, 1);
  const live = await liveFileHelpers(ws.path);
  assert.equal(live.length, 1, "only the kept helper is still alive");
  assert.ok(live[0] === a.pid || live[0] === b.pid);
  assert.equal([a.pid, b.pid].filter((pid) => pid !== null).length, 1);
});

Deno.test("a workspace replaced by a new folder gets a new helper (the old one binds the old folder)", async () => {
  await using parent = await tempDir();
  const ws = join(parent.path, "ws");
  await Deno.mkdir(ws);
  await Deno.writeTextFile(join(ws, "a.txt"), "old");
  await using session = new FileHelperSession(sandbox, {
    workspace: ws,
    pool: new FileHelperPool(4),
  });
  await session.call(read(ws, "a.txt"), limits());
  const first = session.pid;
  await Deno.remove(ws, { recursive: true });
  await Deno.mkdir(ws);
  await Deno.writeTextFile(join(ws, "a.txt"), "new");
  const answer = await session.call(read(ws, "a.txt"), limits());
  assert.equal(answer.ok && answer.text, "new");
  assert.notEqual(session.pid, first);
});

Deno.test("an answer over the size cap fails its call and ends the helper; the next call works", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "big.txt"), "y".repeat(64 * 1024));
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha");
  await using session = new FileHelperSession(sandbox, {
    workspace: ws.path,
    pool: new FileHelperPool(4),
  });
  await session.call(read(ws.path, "a.txt"), limits());
  const capped = session.helper!;
  await assert.rejects(
    session.call(read(ws.path, "big.txt"), { ...limits(), maxResponseBytes: 1024 }),
    (e) => e instanceof FileHelperError && /answer was too large/.test(e.message),
  );
  await capped.exited;
  const answer = await session.call(read(ws.path, "a.txt"), limits());
  assert.equal(answer.ok && answer.text, "alpha");
  assert.notEqual(session.pid, capped.pid);
});
