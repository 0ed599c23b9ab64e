import assert from "node:assert/strict";
import { deltas, final } from "./harness.ts";
import { PLATFORMS, startTestbed } from "./testbed.ts";

const CURSOR = "▌";
/** The most text one message holds. */
const LIMIT = { telegram: 4096, discord: 2000, slack: 3000 };
/** Two paragraphs of three quarters of a message each: a reply split into exactly two messages. */
function twoMessages(limit: number): string {
  const words = Math.floor((limit * 0.75) / 12);
  return [1, 2].map((n) => `Paragraph ${n}. ` + "lorem ipsum ".repeat(words).trim()).join("\n\n");
}

for (const platform of PLATFORMS) {
  Deno.test(`${platform}: a streamed reply split after a tool call stays in its place, every part of it`, async () => {
    const LONG = twoMessages(LIMIT[platform]);
    await using b = await startTestbed(platform, async function* () {
      // The agent's order: the text so far ends, then the tool starts.
      yield* deltas("Let me look that up first.");
      yield { type: "segment_break" };
      yield {
        type: "tool_started",
        call: { id: "1", type: "function", function: { name: "web_fetch", arguments: "{}" } },
        origin: "herald",
      };
      yield* deltas(LONG);
      yield final(LONG);
    }, { settings: { reply_to_mode: "first" } });
    const asked = b.send("look it up", "group");
    await b.waitFor(() =>
      b.messages("group").some((m) => m.text.startsWith("Paragraph 2.")) &&
      !b.messages("group").some((m) => m.text.endsWith(CURSOR))
    );
    const messages = b.messages("group");
    assert.deepEqual(messages.map((m) => m.text.slice(0, 12)), [
      "Let me look ",
      "⚙️ web_fetch",
      "Paragraph 1.",
      "Paragraph 2.",
    ]);
    assert.ok(asked.place !== undefined);
    assert.deepEqual(messages.map((m) => m.place), messages.map(() => asked.place));
    assert.equal(messages.slice(2).map((m) => m.text).join("\n\n"), LONG);
    // reply_to_mode first: only the first message quotes the user's (Slack has no quoting).
    if (platform !== "slack") {
      assert.deepEqual(messages.map((m) => m.replyTo), [asked.id, undefined, undefined, undefined]);
    }
  });
}
