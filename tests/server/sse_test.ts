import assert from "node:assert/strict";
import { sseResponse } from "../../server/mod.ts";
import { trackBody } from "../../server/guards/mod.ts";

Deno.test("a producer that fails is reported once and the stream ends the protocol's way", async () => {
  const reported: unknown[] = [];
  const failure = new Error("save failed");
  const res = sseResponse({
    produce: (writer) => {
      writer.send({ n: 1 });
      return Promise.reject(failure);
    },
    onError: (error, writer) => {
      writer.send({ error: { message: (error as Error).message } });
      writer.sendRaw("[DONE]");
    },
    report: (error) => reported.push(error),
  });
  assert.equal(
    await res.text(),
    'data: {"n":1}\n\ndata: {"error":{"message":"save failed"}}\n\ndata: [DONE]\n\n',
  );
  assert.deepEqual(reported, [failure]);
});

Deno.test("without an error path a failed producer still ends the stream and is reported", async () => {
  const reported: unknown[] = [];
  const res = sseResponse({
    produce: () => Promise.reject(new Error("boom")),
    report: (error) => reported.push(error),
  });
  assert.equal(await res.text(), "");
  assert.equal(reported.length, 1);
});

Deno.test("a failing error path is reported too and the stream still ends", async () => {
  const reported: string[] = [];
  const res = sseResponse({
    produce: () => Promise.reject(new Error("first")),
    onError: () => {
      throw new Error("second");
    },
    report: (error) => reported.push((error as Error).message),
  });
  assert.equal(await res.text(), "");
  assert.deepEqual(reported, ["first", "second"]);
});

Deno.test("an SSE response reports its end to trackBody itself, once every frame was read", async () => {
  let release!: () => void;
  const produced = new Promise<void>((r) => (release = r));
  const res = sseResponse({
    produce: async (writer) => {
      writer.send({ n: 1 });
      writer.send({ n: 2 });
      await produced;
      writer.send({ n: 3 });
    },
  });
  const outcomes: string[] = [];
  // Two guards track the same body (the request log and the run limit): neither wraps it.
  assert.equal(trackBody(res, (o) => outcomes.push(`log:${o}`)), res);
  assert.equal(trackBody(res, (o) => outcomes.push(`slot:${o}`)), res);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value);
  release();
  for (;;) {
    await new Promise((r) => setTimeout(r, 0));
    // The producer has finished, but frames are still unread: not ended yet.
    if (!text.includes('"n":3')) assert.deepEqual(outcomes, []);
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  assert.equal(text, 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\n');
  assert.deepEqual(outcomes, ["log:complete", "slot:complete"]);
});

Deno.test("an SSE response the client leaves reports cancelled, once", async () => {
  let cancelled = 0;
  const res = sseResponse({
    produce: (writer) =>
      new Promise<void>((resolve) => {
        writer.send({ n: 1 });
        setTimeout(resolve, 20);
      }),
    onCancel: () => cancelled++,
  });
  const outcomes: string[] = [];
  trackBody(res, (o) => outcomes.push(o));
  const reader = res.body!.getReader();
  await reader.read();
  await reader.cancel();
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(outcomes, ["cancelled"]);
  assert.equal(cancelled, 1);
  // A response tracked after its end hears the outcome at once.
  trackBody(res, (o) => outcomes.push(`late:${o}`));
  assert.deepEqual(outcomes, ["cancelled", "late:cancelled"]);
});

/** An SSE response whose producer has started: its writer, a reader of its body, and `finish`. */
async function openSse() {
  let writer!: import("../../server/mod.ts").SseWriter;
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const res = sseResponse({
    produce: (w) => {
      writer = w;
      ready();
      return finished;
    },
  });
  const reader = res.body!.getReader();
  await started;
  return { writer, reader, finish };
}

Deno.test("a waiting reader gets the frames written in one turn of the event loop as one chunk", async () => {
  const { writer, reader, finish } = await openSse();
  const decoder = new TextDecoder();
  const first = reader.read();
  // Two tokens of one upstream read, each passed on through a few promise hops.
  writer.send({ n: 1 });
  await Promise.resolve();
  await Promise.resolve();
  writer.send({ n: 2 });
  assert.equal(decoder.decode((await first).value), 'data: {"n":1}\n\ndata: {"n":2}\n\n');
  // A frame written in a later turn is a chunk of its own.
  const second = reader.read();
  await new Promise((r) => setTimeout(r, 5));
  writer.send({ n: 3 });
  assert.equal(decoder.decode((await second).value), 'data: {"n":3}\n\n');
  // Closing while frames wait for the next turn hands them over at once, then ends.
  const third = reader.read();
  writer.send({ n: 4 });
  writer.close();
  assert.equal(decoder.decode((await third).value), 'data: {"n":4}\n\n');
  assert.equal((await reader.read()).done, true);
  finish();
});

Deno.test("a waiting reader gets the next frame at once; frames written while it is busy come as one chunk", async () => {
  const { writer, reader, finish } = await openSse();
  const decoder = new TextDecoder();
  // The reader is waiting: the first frame is handed to it as soon as it is written.
  const first = reader.read();
  writer.send({ n: 1 });
  assert.equal(decoder.decode((await first).value), 'data: {"n":1}\n\n');
  // Nobody is reading now: the next three frames wait and go out together on the next read.
  writer.send({ n: 2 });
  writer.send({ n: 3 });
  writer.sendRaw("[DONE]");
  assert.equal(
    decoder.decode((await reader.read()).value),
    'data: {"n":2}\n\ndata: {"n":3}\n\ndata: [DONE]\n\n',
  );
  finish();
  assert.equal((await reader.read()).done, true);
});
