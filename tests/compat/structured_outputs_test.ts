/**
 * Structured outputs through real clients: the openai SDK's parse helpers with zod formats, the
 * AI SDK's generateObject / streamObject, LangChain's withStructuredOutput. The fake upstream
 * answers a `response_format` with JSON that fits the schema, so a round trip works only when
 * Herald passed the format on.
 */
// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import OpenAI from "openai";
import { zodResponseFormat, zodTextFormat } from "openai/helpers/zod";
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, streamObject } from "ai";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { COMPAT_KEY, startCompatGateway } from "./harness.ts";

// The deprecation notices of generateObject/streamObject are not what these tests check.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const City = z.object({
  name: z.string(),
  country: z.enum(["France", "Japan"]),
  population: z.number(),
  landmarks: z.array(z.string()),
});

function openai(baseURL: string): OpenAI {
  return new OpenAI({ baseURL, apiKey: COMPAT_KEY, maxRetries: 0 });
}

Deno.test("openai chat.completions.parse() with a zod format returns the parsed object", async () => {
  await using g = await startCompatGateway();
  const completion = await openai(g.baseURL).chat.completions.parse({
    model: "herald",
    messages: [{ role: "user", content: "Describe Paris." }],
    response_format: zodResponseFormat(City, "city"),
  });
  const city = completion.choices[0].message.parsed!;
  assert.equal(city.country, "France");
  assert.equal(city.name, "echo: Describe Paris.");
  const sent = g.llm.requests.at(-1)!.body.response_format as Record<string, any>;
  assert.equal(sent.type, "json_schema");
  assert.equal(sent.json_schema.name, "city");
  assert.equal(sent.json_schema.strict, true);
  assert.deepEqual(sent.json_schema.schema.required, [
    "name",
    "country",
    "population",
    "landmarks",
  ]);
});

Deno.test("openai responses.parse() with zodTextFormat returns output_parsed and echoes text.format", async () => {
  await using g = await startCompatGateway();
  const response = await openai(g.baseURL).responses.parse({
    model: "herald",
    input: "Describe Tokyo.",
    text: { format: zodTextFormat(City, "city") },
  });
  assert.equal(response.output_parsed?.country, "France");
  assert.equal(response.output_parsed?.name, "echo: Describe Tokyo.");
  assert.equal((response.text?.format as { name?: string }).name, "city");
  const sent = g.llm.requests.at(-1)!.body.response_format as Record<string, any>;
  assert.equal(sent.json_schema.name, "city");
  assert.equal(sent.json_schema.strict, true);
});

Deno.test("json_object format on both APIs asks the model for JSON", async () => {
  await using g = await startCompatGateway();
  const client = openai(g.baseURL);
  const chat = await client.chat.completions.create({
    model: "herald",
    messages: [{ role: "user", content: "JSON please" }],
    response_format: { type: "json_object" },
  });
  assert.deepEqual(JSON.parse(chat.choices[0].message.content!), { echo: "echo: JSON please" });
  const response = await client.responses.create({
    model: "herald",
    input: "JSON again",
    text: { format: { type: "json_object" } },
  });
  assert.deepEqual(JSON.parse(response.output_text), { echo: "echo: JSON again" });
  assert.deepEqual(
    g.llm.requests.map((r) => r.body.response_format),
    [{ type: "json_object" }, { type: "json_object" }],
  );
});

Deno.test("AI SDK generateObject and streamObject get objects that fit the schema", async () => {
  await using g = await startCompatGateway();
  const provider = createOpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY });
  for (const model of [provider.chat("herald"), provider.responses("herald")]) {
    const { object } = await generateObject({ model, schema: City, prompt: "Describe Lyon." });
    assert.equal(object.country, "France");
    assert.deepEqual(object.landmarks, ["echo: Describe Lyon."]);
    const stream = streamObject({ model, schema: City, prompt: "Describe Nice." });
    let partials = 0;
    for await (const _ of stream.partialObjectStream) partials++;
    assert.ok(partials > 1, "the object arrived in pieces");
    const streamed = await stream.object;
    assert.equal(streamed.name, "echo: Describe Nice.");
  }
  assert.ok(g.llm.requests.every((r) => (r.body.response_format as any)?.type === "json_schema"));
});

Deno.test("LangChain withStructuredOutput returns the parsed object", async () => {
  await using g = await startCompatGateway();
  const model = new ChatOpenAI({
    model: "herald",
    apiKey: COMPAT_KEY,
    configuration: { baseURL: g.baseURL },
    maxRetries: 0,
  });
  const city = await model.withStructuredOutput(City, { name: "city", method: "jsonSchema" })
    .invoke("Describe Kyoto.");
  assert.equal(city.country, "France");
  assert.equal(city.name, "echo: Describe Kyoto.");
  assert.equal((g.llm.requests.at(-1)!.body.response_format as any).type, "json_schema");
});

Deno.test("sampling parameters reach every LLM call of the turn and are echoed", async () => {
  await using g = await startCompatGateway();
  g.llm.enqueue(
    { toolCalls: [{ name: "read_file", arguments: JSON.stringify({ path: "missing.txt" }) }] },
    { text: "done" },
  );
  const client = openai(g.baseURL);
  const response = await client.responses.create({
    model: "herald",
    input: "read it",
    reasoning: { effort: "low" },
    parallel_tool_calls: false,
    service_tier: "flex",
    user: "user-42",
    // Fields Responses does not define are still passed on when sent.
    ...{ presence_penalty: 0.5, frequency_penalty: 0.25, seed: 7 },
  });
  assert.equal(response.output_text, "done");
  assert.equal(g.llm.requests.length, 2);
  for (const { body } of g.llm.requests) {
    assert.equal(body.reasoning_effort, "low");
    assert.equal(body.parallel_tool_calls, false);
    assert.equal(body.service_tier, "flex");
    assert.equal(body.user, "user-42");
    assert.equal(body.presence_penalty, 0.5);
    assert.equal(body.frequency_penalty, 0.25);
    assert.equal(body.seed, 7);
  }
  assert.equal(response.service_tier, "flex");
  const echoed = response as unknown as Record<string, unknown>;
  assert.equal(echoed.presence_penalty, 0.5);
  assert.equal(echoed.frequency_penalty, 0.25);
  assert.equal(response.reasoning?.effort, "low");
  assert.equal(response.parallel_tool_calls, false);
  assert.equal((response as { user?: string }).user, "user-42");

  await client.chat.completions.create({
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
    stop: ["\n\n"],
    seed: 3,
    logit_bias: { "50256": -100 },
    reasoning_effort: "high",
    presence_penalty: 1,
    frequency_penalty: 1,
    service_tier: "auto",
    user: "u",
  });
  const chat = g.llm.requests.at(-1)!.body;
  assert.deepEqual(chat.stop, ["\n\n"]);
  assert.equal(chat.seed, 3);
  assert.deepEqual(chat.logit_bias, { "50256": -100 });
  assert.equal(chat.reasoning_effort, "high");
  assert.equal(chat.service_tier, "auto");
  assert.equal(chat.user, "u");
  // No tools offered on this call? Herald's own are; parallel_tool_calls was not sent here.
  assert.equal("parallel_tool_calls" in chat, false);
});

Deno.test("a response the client sent no user for echoes no user field", async () => {
  await using g = await startCompatGateway();
  const response = await openai(g.baseURL).responses.create({ model: "herald", input: "hi" });
  assert.equal("user" in response, false);
});

Deno.test("an upstream that refuses a parameter gives the client a 400 naming it", async () => {
  await using g = await startCompatGateway();
  g.llm.enqueue({
    status: 400,
    errorMessage: "Unsupported parameter: 'seed' is not supported with this model.",
    errorParam: "seed",
    errorCode: "unsupported_parameter",
  }, {
    status: 400,
    errorMessage: "response_format json_schema is not supported by this server",
  });
  const client = openai(g.baseURL);
  const chatError = await client.chat.completions.create({
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
    seed: 1,
  }).catch((e) => e);
  assert.ok(chatError instanceof OpenAI.BadRequestError);
  assert.equal(chatError.param, "seed");
  assert.equal(chatError.code, "unsupported_parameter");
  assert.match(chatError.message, /parameter 'seed'/);
  const responsesError = await client.responses.create({
    model: "herald",
    input: "hi",
    text: { format: { type: "json_object" } },
  }).catch((e) => e);
  assert.ok(responsesError instanceof OpenAI.BadRequestError);
  assert.equal(responsesError.param, "response_format");
});

Deno.test("a malformed text.format is a 400 naming the field", async () => {
  await using g = await startCompatGateway();
  const error = await openai(g.baseURL).responses.create({
    model: "herald",
    input: "hi",
    text: { format: { type: "json_schema" } as never },
  }).catch((e) => e);
  assert.ok(error instanceof OpenAI.BadRequestError);
  assert.match(String(error.param), /^text\.format\./);
  assert.equal(g.llm.requests.length, 0);
});
