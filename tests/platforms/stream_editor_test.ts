import assert from "node:assert/strict";
import { splitMessage } from "../../platforms/split_message.ts";
import {
  type MessageId,
  ReplyEditor,
  type ReplyFormat,
  type ReplySurface,
} from "../../platforms/stream_editor.ts";
import { FakeClock } from "./fake_clock.ts";

/** A surface whose previews only grow, as Slack's message streams do: text once shown stays. */
class GrowOnlySurface implements ReplySurface {
  messages = new Map<MessageId, string>();
  #next = 1;
  send(text: string): Promise<MessageId> {
    const id = this.#next++;
    this.messages.set(id, text.replace(/▌$/, ""));
    return Promise.resolve(id);
  }
  edit(id: MessageId, text: string): Promise<void> {
    const shown = this.messages.get(id)!;
    const next = text.replace(/▌$/, "");
    if (!next.startsWith(shown)) return Promise.reject(new Error("a stream cannot shrink"));
    this.messages.set(id, next);
    return Promise.resolve();
  }
}

const format: ReplyFormat = {
  label: "Test",
  limit: 200,
  format: (markdown) => markdown,
  split: splitMessage,
  classify: (error) => ({ kind: "other", message: String(error) }),
};

Deno.test("a preview longer than one message shows what the first message will hold, so it only grows", async () => {
  const clock = new FakeClock();
  const api = new GrowOnlySurface();
  const editor = new ReplyEditor({
    api,
    format,
    streaming: true,
    editIntervalMs: 1000,
    minTokens: 1,
    replyToMode: "off",
    clock,
  });
  const first = "First paragraph, " + "words ".repeat(20).trim() + ".";
  const second = "Second paragraph, " + "words ".repeat(20).trim() + ".";
  // The whole reply arrives before the first preview: a slow machine, or a fast model.
  for (const word of `${first}\n\n${second}`.split(/(?<= )/)) editor.append(word);
  await clock.advance(0);
  assert.deepEqual([...api.messages.values()], [first]);
  await clock.runUntil(editor.finish());
  // The final split put the first paragraph in the preview's message: it extended (or kept)
  // what was shown, and the second paragraph is a message of its own.
  assert.deepEqual([...api.messages.values()], [first, second]);
});
