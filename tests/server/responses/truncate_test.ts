import assert from "node:assert/strict";
import type { ChatMessage } from "../../../agent/mod.ts";
import { estimateTokens, truncateHistory } from "../../../server/responses/truncate.ts";

const user = (text: string): ChatMessage => ({ role: "user", content: text });
const assistant = (text: string): ChatMessage => ({ role: "assistant", content: text });

Deno.test("truncation drops the oldest turns first and keeps the new input whole", () => {
  const history = [
    user("a".repeat(400)),
    assistant("b".repeat(400)),
    user("c".repeat(400)),
    assistant("d".repeat(400)),
  ];
  const input = [user("e".repeat(400))];
  // Each message is ~104 estimated tokens: room for the input and one turn of two messages.
  const kept = truncateHistory(history, input, { budget: 350 });
  assert.deepEqual(kept.map((m) => (m.content as string)[0]), ["c", "d", "e"]);
  assert.equal(truncateHistory(history, input, { budget: 10_000 }).length, 5);
  assert.deepEqual(truncateHistory(history, input, { budget: 10 }), input);
});

Deno.test("truncation never separates a tool call from its result", () => {
  const history: ChatMessage[] = [
    user("old"),
    {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
    },
    { role: "tool", tool_call_id: "c1", content: "x".repeat(2000) },
    assistant("done"),
    user("new"),
    assistant("reply"),
  ];
  const kept = truncateHistory(history, [user("now")], { budget: 200 });
  // The first turn (call + big result) does not fit, so all of it goes.
  assert.deepEqual(kept.map((m) => m.role), ["user", "assistant", "user"]);
  assert.ok(!kept.some((m) => m.role === "tool"));
});

Deno.test("truncation keeps the turn whose client tool call the input answers", () => {
  const history: ChatMessage[] = [
    user("x".repeat(4000)),
    {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "c9", type: "function", function: { name: "w", arguments: "{}" } }],
    },
  ];
  const input: ChatMessage[] = [{ role: "tool", tool_call_id: "c9", content: "sunny" }];
  const kept = truncateHistory(history, input, { budget: 50 });
  assert.deepEqual(kept.map((m) => m.role), ["user", "assistant", "tool"]);
});

Deno.test("system messages of dropped turns are kept", () => {
  const history: ChatMessage[] = [
    { role: "system", content: "Be kind." },
    user("y".repeat(4000)),
    assistant("z"),
  ];
  const kept = truncateHistory(history, [user("hi")], { budget: 100 });
  assert.deepEqual(kept.map((m) => m.role), ["system", "user"]);
});

Deno.test("token estimates count text, tool arguments and images", () => {
  assert.equal(estimateTokens(user("x".repeat(400))), 104);
  const withImage: ChatMessage = {
    role: "user",
    content: [{ type: "image_url", image_url: { url: "data:," } }],
  };
  assert.ok(estimateTokens(withImage) >= 1000);
});
