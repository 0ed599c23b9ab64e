import assert from "node:assert/strict";
import { encodeBody, JsonBody } from "../../agent/request_body.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const TOOL = {
  type: "function",
  function: {
    name: "read_file",
    description: 'Reads a file "as is"\nwith quotes, a newline and ünïcödé ✓ 😀',
    parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
};

/** What the body must be: JSON.stringify's bytes, with `tools` moved to the end. */
function expected(body: Record<string, unknown>): Uint8Array {
  const { tools, ...rest } = body;
  return encoder.encode(JSON.stringify(tools === undefined ? rest : { ...rest, tools }));
}

/** A random string of ASCII, control characters, accented letters, emoji and lone surrogates. */
function randomText(random: () => number): string {
  const pieces = [
    "a",
    "Z",
    " ",
    '"',
    "\\",
    "\n",
    "\t",
    "\u0001",
    "\u007f",
    "é",
    "ß",
    "✓",
    "€",
    "😀",
    "\u2028",
    "\ud800",
    "\udfff",
    "中",
    "</script>",
  ];
  let text = "";
  const length = Math.floor(random() * 40);
  for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
  return text;
}

/** A small deterministic generator, so a failure can be reproduced. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

Deno.test("encodeBody is JSON.stringify's UTF-8, tools last", () => {
  const body = {
    model: "m",
    messages: [{ role: "user", content: 'hi \u2028 "there" ünï 😀' }],
    tools: [TOOL, { ...TOOL, function: { ...TOOL.function, name: "write_file" } }],
    temperature: 0.2,
    stream: true,
    skipped: undefined,
  };
  const bytes = encodeBody(body);
  assert.deepEqual(bytes, expected(body));
  assert.equal(Object.keys(JSON.parse(decoder.decode(bytes))).at(-1), "tools");
  // The same declaration objects again: the same bytes.
  assert.deepEqual(encodeBody(body), bytes);
  // No tools, an empty list, or only tools: still plain JSON.
  assert.deepEqual(encodeBody({ model: "m", tools: [] }), expected({ model: "m", tools: [] }));
  assert.equal(decoder.decode(encodeBody({ model: "m" })), '{"model":"m"}');
  assert.equal(decoder.decode(encodeBody({ tools: [TOOL] })), JSON.stringify({ tools: [TOOL] }));
  assert.equal(
    decoder.decode(encodeBody({ skipped: undefined, tools: [TOOL] })),
    JSON.stringify({ tools: [TOOL] }),
  );
});

Deno.test("encodeBody matches JSON.stringify for random bodies with non-ASCII text", () => {
  const random = seeded(20);
  const tools = Array.from({ length: 6 }, (_, i) => ({
    type: "function",
    function: {
      name: `tool_${i}`,
      description: randomText(random),
      parameters: { type: "object" },
    },
  }));
  for (let round = 0; round < 300; round++) {
    const body: Record<string, unknown> = {
      messages: Array.from({ length: Math.floor(random() * 4) }, () => ({
        role: random() < 0.5 ? "user" : "assistant",
        content: randomText(random),
      })),
      model: randomText(random),
    };
    if (random() < 0.5) body.temperature = Math.round(random() * 100) / 100;
    if (random() < 0.3) body.user = undefined;
    if (random() < 0.8) body.tools = tools.filter(() => random() < 0.7);
    if (random() < 0.5) body.stream = random() < 0.5;
    assert.deepEqual(encodeBody(body), expected(body), JSON.stringify(body));
  }
});

Deno.test("a new declaration object is encoded afresh, not taken from the cache", () => {
  const first = { ...TOOL, function: { ...TOOL.function, description: "one" } };
  const second = { ...TOOL, function: { ...TOOL.function, description: "two" } };
  assert.match(decoder.decode(encodeBody({ tools: [first] })), /"one"/);
  assert.match(decoder.decode(encodeBody({ tools: [second] })), /"two"/);
});

Deno.test("encodeBody's bytes are its own; JsonBody's transient bytes are the same bytes", () => {
  const first = { model: "a", tools: [TOOL] };
  const second = { model: "b".repeat(100), tools: [TOOL] };
  const bytes = encodeBody(first);
  encodeBody(second);
  new JsonBody(second).encodeTransient();
  assert.deepEqual(bytes, expected(first));
  assert.deepEqual(new JsonBody(first).encodeTransient(), expected(first));
  assert.deepEqual(new JsonBody(second).encode(), expected(second));
});
