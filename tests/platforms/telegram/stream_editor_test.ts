import assert from "node:assert/strict";
import {
  type ChatApi,
  CURSOR,
  StreamEditor,
  type StreamEditorOptions,
} from "../../../platforms/telegram/stream_editor.ts";
import { FakeClock } from "../fake_clock.ts";

interface Call {
  kind: "send" | "edit";
  text: string;
  html: boolean;
  at: number;
}

/** A chat that records calls and fails edits on demand. */
class FakeChat implements ChatApi {
  calls: Call[] = [];
  messages = new Map<number, string>();
  editFailures: unknown[] = [];
  #nextId = 1;
  constructor(private clock: FakeClock) {}

  send(text: string, options: { html: boolean }): Promise<number> {
    this.calls.push({ kind: "send", text, html: options.html, at: this.clock.now() });
    const id = this.#nextId++;
    this.messages.set(id, text);
    return Promise.resolve(id);
  }
  edit(messageId: number, text: string, options: { html: boolean }): Promise<void> {
    this.calls.push({ kind: "edit", text, html: options.html, at: this.clock.now() });
    const failure = this.editFailures.shift();
    if (failure) return Promise.reject(failure);
    this.messages.set(messageId, text);
    return Promise.resolve();
  }
  get edits(): Call[] {
    return this.calls.filter((c) => c.kind === "edit");
  }
}

const flood = (retryAfter: number) => ({
  error_code: 429,
  description: `Too Many Requests: retry after ${retryAfter}`,
  parameters: { retry_after: retryAfter },
});

function setup(options: Partial<StreamEditorOptions> = {}) {
  const clock = new FakeClock();
  const chat = new FakeChat(clock);
  const editor = new StreamEditor({
    api: chat,
    streaming: true,
    editIntervalMs: 1000,
    minTokens: 1,
    replyToMode: "first",
    replyToMessageId: 7,
    clock,
    ...options,
  });
  return { clock, chat, editor };
}

Deno.test("the preview is edited at most once per interval with the newest text", async () => {
  const { clock, chat, editor } = setup();
  editor.append("Hello there");
  await clock.advance(0);
  assert.deepEqual(chat.calls.map((c) => c.kind), ["send"]);
  assert.equal(chat.calls[0].text, `Hello there${CURSOR}`);
  // Three deltas inside one interval: the frames in between are skipped.
  editor.append(", one");
  await clock.advance(300);
  editor.append(", two");
  await clock.advance(300);
  editor.append(", three");
  await clock.advance(300);
  assert.equal(chat.edits.length, 0);
  await clock.advance(100);
  assert.equal(chat.edits.length, 1);
  assert.equal(chat.edits[0].at, 1000);
  assert.equal(chat.edits[0].text, `Hello there, one, two, three${CURSOR}`);
  assert.equal(chat.edits[0].html, false);
});

Deno.test("the final edit removes the cursor, formats, and happens exactly once", async () => {
  const { clock, chat, editor } = setup();
  editor.append("Some **bold** words");
  await clock.advance(0);
  await clock.runUntil(editor.finish());
  const finals = chat.calls.filter((c) => !c.text.includes(CURSOR));
  assert.equal(finals.length, 1);
  assert.equal(finals[0].text, "Some <b>bold</b> words");
  assert.equal(finals[0].html, true);
  // The final waited for the interval after the first preview.
  assert.equal(finals[0].at, 1000);
});

Deno.test("429 on edits doubles the interval up to 10 s, then the tail is sent as new messages", async () => {
  const { clock, chat, editor } = setup({ editIntervalMs: 3000 });
  editor.append("The first part of the answer");
  await clock.advance(0);
  chat.editFailures.push(flood(1), flood(1), flood(1), flood(1));
  editor.append(" keeps growing");
  await clock.advance(60_000);
  const attempts = chat.edits.map((c) => c.at);
  // 3 s, then 6 s later, then 10 s (capped) later; three refusals in a row stop the edits.
  assert.deepEqual(attempts, [3000, 9000, 19_000]);
  editor.append(" until the end.");
  await clock.runUntil(editor.finish());
  assert.equal(chat.edits.length, 3);
  const visible = [...chat.messages.values()].map((t) => t.replace(CURSOR, ""));
  assert.deepEqual(visible, [
    "The first part of the answer",
    "keeps growing until the end.",
  ]);
});

Deno.test("a final edit that fails sends only the missing tail, never the whole reply twice", async () => {
  const { clock, chat, editor } = setup();
  editor.append("Already shown text");
  await clock.advance(0);
  editor.append(" and the rest");
  chat.editFailures.push({
    error_code: 400,
    description: "Bad Request: message to edit not found",
  });
  await clock.runUntil(editor.finish());
  const sends = chat.calls.filter((c) => c.kind === "send");
  assert.equal(sends.length, 2);
  assert.equal(sends[1].text, "and the rest");
  assert.equal(
    [...chat.messages.values()].filter((t) => t.includes("Already shown text")).length,
    1,
  );
});

Deno.test("a short flood on the final edit is waited out and the edit retried once", async () => {
  const { clock, chat, editor } = setup();
  editor.append("Almost done here");
  await clock.advance(0);
  chat.editFailures.push(flood(2));
  await clock.runUntil(editor.finish());
  const edits = chat.edits;
  assert.equal(edits.length, 2);
  assert.equal(edits[1].at - edits[0].at, 2000);
  assert.equal(chat.messages.get(1), "Almost done here");
  assert.equal(chat.calls.filter((c) => c.kind === "send").length, 1);
});

Deno.test("with streaming off nothing is shown until the whole reply is sent", async () => {
  const { clock, chat, editor } = setup({ streaming: false });
  editor.append("All of it ");
  editor.append("at once");
  await clock.advance(5000);
  assert.equal(chat.calls.length, 0);
  await clock.runUntil(editor.finish());
  assert.deepEqual(chat.calls.map((c) => [c.kind, c.text]), [["send", "All of it at once"]]);
});

const notModified = {
  error_code: 400,
  description: "Bad Request: message is not modified: specified new message content and reply " +
    "markup are exactly the same as a current content and reply markup of the message",
};

Deno.test("'message is not modified' on the final edit counts as delivered: nothing is resent", async () => {
  const { clock, chat, editor } = setup();
  editor.append("Plain final text");
  await clock.advance(0);
  chat.editFailures.push(notModified);
  await clock.runUntil(editor.finish());
  assert.equal(chat.edits.length, 1);
  assert.equal(chat.calls.filter((c) => c.kind === "send").length, 1);
});

Deno.test("'message is not modified' on preview edits is no failure: edits go on at the pace", async () => {
  const { clock, chat, editor } = setup();
  editor.append("start");
  await clock.advance(0);
  chat.editFailures.push(notModified, notModified, notModified);
  for (let i = 0; i < 4; i++) {
    editor.append(` ${i}`);
    await clock.advance(1000);
  }
  // Three refusals of another kind would have frozen the preview; these do not.
  assert.deepEqual(chat.edits.map((c) => c.at), [1000, 2000, 3000, 4000]);
  assert.equal(chat.messages.get(1), `start 0 1 2 3${CURSOR}`);
});

Deno.test("a preview past 4096 UTF-16 units is cut before, never inside, a surrogate pair", async () => {
  const { clock, chat, editor } = setup();
  // Emoji are two UTF-16 units each; an odd-length prefix puts a pair across every even cut.
  editor.append("x" + "😀".repeat(2100));
  await clock.advance(0);
  const preview = chat.calls[0].text;
  assert.ok(preview.length <= 4096, `preview is ${preview.length} units`);
  assert.ok(preview.isWellFormed(), "no lone surrogate");
  assert.ok(preview.endsWith(`😀${CURSOR}`));
  await clock.runUntil(editor.finish());
  const shown = [...chat.messages.values()];
  for (const text of shown) {
    assert.ok(text.length <= 4096 && text.isWellFormed());
  }
  assert.equal(shown.join(""), "x" + "😀".repeat(2100));
});
