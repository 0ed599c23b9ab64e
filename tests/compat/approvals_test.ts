/**
 * Approvals through real clients against a real gateway: the OpenAI Agents SDK's hostedMcpTool
 * (interruption, state.approve() / state.reject(), resume), the AI SDK's tool-approval flow
 * (`.responses()` with `openai.tools.mcp`: tool-approval-request, tool-approval-response), and
 * the openai SDK with the readable text fallback.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import OpenAI from "openai";
import {
  Agent,
  hostedMcpTool,
  OpenAIResponsesModel,
  run,
  setTracingDisabled,
} from "@openai/agents";
import { generateText, type ModelMessage } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { COMPAT_KEY, startCompatGateway } from "./harness.ts";

setTracingDisabled(true);

type Sent = { role: string; content?: unknown; tool_call_id?: string };

const ALWAYS = "approvals:\n  api_server: always\n";

function scriptWrite(g: Awaited<ReturnType<typeof startCompatGateway>>, answer: string) {
  g.llm.enqueue(
    { toolCalls: [{ name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' }] },
    { text: answer },
  );
}

function lastToolResult(g: Awaited<ReturnType<typeof startCompatGateway>>): string {
  const messages = g.llm.requests.at(-1)!.body.messages as Sent[];
  return String(messages.findLast((m) => m.role === "tool")?.content ?? "");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function herald(client: OpenAI) {
  return new Agent({
    name: "assistant",
    model: new OpenAIResponsesModel(client, "herald"),
    tools: [hostedMcpTool({
      serverLabel: "herald",
      serverUrl: "http://127.0.0.1:9/never-fetched",
      requireApproval: "always",
    })],
  });
}

Deno.test("Agents SDK hostedMcpTool: an approval interrupts the run; state.approve() resumes and the call runs", async () => {
  await using g = await startCompatGateway(ALWAYS);
  const client = new OpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY, maxRetries: 0 });
  const agent = herald(client);
  scriptWrite(g, "Written.");
  const first = await run(agent, "Write hello to out.txt");
  assert.equal(first.interruptions.length, 1);
  const asked = first.interruptions[0];
  assert.equal(asked.name, "write_file");
  assert.equal(await exists(join(g.workspace, "out.txt")), false);
  first.state.approve(asked);
  const second = await run(agent, first.state);
  assert.equal(second.finalOutput, "Written.");
  assert.equal(await Deno.readTextFile(join(g.workspace, "out.txt")), "hello");
  assert.match(lastToolResult(g), /out\.txt/);
});

Deno.test("Agents SDK hostedMcpTool: state.reject() tells the model the call was denied", async () => {
  await using g = await startCompatGateway(ALWAYS);
  const client = new OpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY, maxRetries: 0 });
  const agent = herald(client);
  scriptWrite(g, "Understood, I did not write it.");
  const first = await run(agent, "Write hello to out.txt");
  assert.equal(first.interruptions.length, 1);
  first.state.reject(first.interruptions[0]);
  const second = await run(agent, first.state);
  assert.equal(second.finalOutput, "Understood, I did not write it.");
  assert.equal(await exists(join(g.workspace, "out.txt")), false);
  assert.match(lastToolResult(g), /^denied: the user did not approve this call/);
});

Deno.test("openai SDK without Herald's mcp tool: the question comes as text; 'approve <id>' runs the call", async () => {
  await using g = await startCompatGateway(ALWAYS);
  const client = new OpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY, maxRetries: 0 });
  scriptWrite(g, "Written, as approved.");
  const first = await client.responses.create({ model: "herald", input: "Write hello to out.txt" });
  assert.equal(first.status, "completed");
  assert.deepEqual(first.output.map((i) => i.type), ["message"]);
  const id = /approve (mcpr_[0-9a-f]{32})/.exec(first.output_text)?.[1];
  assert.ok(id, first.output_text);
  assert.match(first.output_text, /write_file/);
  assert.equal(await exists(join(g.workspace, "out.txt")), false);

  const second = await client.responses.create({
    model: "herald",
    input: `approve ${id}`,
    previous_response_id: first.id,
  });
  assert.equal(second.output_text, "Written, as approved.");
  assert.equal(await Deno.readTextFile(join(g.workspace, "out.txt")), "hello");
  const hosted = second.output.find((i) => i.type === "mcp_call") as unknown as Record<
    string,
    unknown
  >;
  assert.equal(hosted.approval_request_id, id);
  // The model saw the call and its result right after it, not the approval chatter.
  const sent = g.llm.requests.at(-1)!.body.messages as Sent[];
  assert.deepEqual(sent.slice(1).map((m) => m.role), ["user", "assistant", "tool"]);

  // Answered once: a second answer is a clear 400.
  await assert.rejects(
    client.responses.create({
      model: "herald",
      input: `approve ${id}`,
      previous_response_id: first.id,
    }),
    (e: { status: number; code: string }) =>
      e.status === 400 && e.code === "approval_already_answered",
  );
});

/** The AI SDK's OpenAI provider with Herald declared as a hosted MCP tool that asks first. */
function aiSdkHerald(g: Awaited<ReturnType<typeof startCompatGateway>>, bodies: unknown[]) {
  const openai = createOpenAI({
    baseURL: g.baseURL,
    apiKey: COMPAT_KEY,
    fetch: (input, init) => {
      if (typeof init?.body === "string") bodies.push(JSON.parse(init.body));
      return fetch(input, init);
    },
  });
  return {
    model: openai.responses("herald"),
    tools: {
      herald: openai.tools.mcp({
        serverLabel: "herald",
        serverUrl: "http://127.0.0.1:9/never-fetched",
        requireApproval: "always",
      }),
    },
  };
}

for (const approved of [true, false]) {
  Deno.test(`AI SDK .responses(): an mcp_approval_request becomes a tool-approval-request; answering ${approved ? "yes runs" : "no skips"} the call`, async () => {
    await using g = await startCompatGateway(ALWAYS);
    const bodies: unknown[] = [];
    const { model, tools } = aiSdkHerald(g, bodies);
    scriptWrite(g, approved ? "Written." : "Not written, as you wished.");
    const messages: ModelMessage[] = [{ role: "user", content: "Write hello to out.txt" }];
    const first = await generateText({ model, tools, messages, maxRetries: 0 });
    const request = first.content.find((p) => p.type === "tool-approval-request");
    assert.ok(request, JSON.stringify(first.content));
    assert.match(request.approvalId, /^mcpr_/);
    assert.equal(request.toolCall.toolName, "mcp.write_file");
    assert.equal(await exists(join(g.workspace, "out.txt")), false);

    // The app asks the user, then answers in a tool message, as the AI SDK documents.
    messages.push(...first.response.messages, {
      role: "tool",
      // providerExecuted: Herald runs the call, so the answer goes to it (not to a local tool).
      content: [{
        type: "tool-approval-response",
        approvalId: request.approvalId,
        approved,
        providerExecuted: true,
      }],
    });
    const second = await generateText({ model, tools, messages, maxRetries: 0 });
    const sent = bodies.at(-1) as { input: { type: string; approve?: boolean }[] };
    assert.deepEqual(
      sent.input.filter((i) => i.type === "mcp_approval_response")
        .map((i) => i.approve),
      [approved],
    );
    assert.equal(second.text, approved ? "Written." : "Not written, as you wished.");
    if (approved) {
      assert.equal(await Deno.readTextFile(join(g.workspace, "out.txt")), "hello");
    } else {
      assert.equal(await exists(join(g.workspace, "out.txt")), false);
      assert.match(lastToolResult(g), /denied|declined|not approved/i);
    }
  });
}
