import assert from "node:assert/strict";
import { sseResponse } from "../../server/mod.ts";

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
