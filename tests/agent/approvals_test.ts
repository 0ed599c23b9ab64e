/**
 * The agent's approval hook: the tool classifies, the policy decides, the front door answers —
 * in the turn (a promise) or in a later turn ("defer", then `approvalDecisions`).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { z } from "zod";
import {
  Agent,
  type AgentEvent,
  type AgentTurn,
  type ApprovalDecision,
  type ApprovalMode,
  approvalNeeded,
  type ApprovalRequest,
  LlmClient,
  type ToolContext,
  ToolRegistry,
  type TurnApprovals,
} from "../../agent/mod.ts";
import { parseApprovalCommand } from "../../server/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";

/** A tool that flags `rm` as dangerous and records the contexts it ran with. */
function shellTool(ran: ToolContext[]) {
  return {
    name: "shell",
    description: "Runs a command.",
    parameters: z.object({ command: z.string() }),
    classify: ({ command }: { command: string }) =>
      command.startsWith("rm")
        ? { dangerous: true, reason: "it deletes files" }
        : { dangerous: false },
    execute: (_: { command: string }, context: ToolContext) => {
      ran.push(context);
      return Promise.resolve("ran");
    },
  };
}

const lookTool = {
  name: "look",
  description: "Reads.",
  parameters: z.object({}),
  readOnly: true,
  execute: () => Promise.resolve("looked"),
};

function makeAgent(llm: FakeLlm, ran: ToolContext[]) {
  const registry = new ToolRegistry().register(shellTool(ran)).register(lookTool);
  return new Agent({
    llm: new LlmClient({
      targets: [{ model: "fake-model", baseUrl: llm.baseUrl }],
      connectTimeout: 60,
      firstTokenTimeout: 60,
      staleTimeout: 60,
      maxRetries: 0,
    }),
    registry,
    toolsets: { api_server: ["shell", "look"], telegram: ["shell", "look"], cli: [] },
    workspace: "/tmp/ws",
    maxIterations: 5,
  });
}

function approvals(
  mode: ApprovalMode,
  answer: (r: ApprovalRequest) => ApprovalDecision | "defer",
  asked: ApprovalRequest[] = [],
  extra: Partial<TurnApprovals> = {},
): TurnApprovals {
  return {
    mode,
    ask: (request) => {
      asked.push(request);
      return Promise.resolve(answer(request));
    },
    ...extra,
  };
}

async function collect(gen: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const out: AgentEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

const turn: AgentTurn = { platform: "api_server", messages: [{ role: "user", content: "go" }] };

Deno.test("the policy: never asks nothing, dangerous asks what the tool flags, always every write", () => {
  const base = { readOnly: false, risk: { dangerous: false }, client: null, granted: false };
  assertEquals(approvalNeeded({ ...base, mode: "never", risk: { dangerous: true } }), false);
  assertEquals(approvalNeeded({ ...base, mode: "dangerous" }), false);
  assertEquals(approvalNeeded({ ...base, mode: "dangerous", risk: { dangerous: true } }), true);
  assertEquals(approvalNeeded({ ...base, mode: "always" }), true);
  assertEquals(approvalNeeded({ ...base, mode: "always", readOnly: true }), false);
  // The client may ask for more, never less; a grant ("always for this chat") skips.
  assertEquals(approvalNeeded({ ...base, mode: "never", readOnly: true, client: "always" }), true);
  assertEquals(
    approvalNeeded({ ...base, mode: "dangerous", risk: { dangerous: true }, client: "never" }),
    true,
  );
  assertEquals(approvalNeeded({ ...base, mode: "always", granted: true }), false);
});

Deno.test("a flagged call is asked with the tool's reason; approved it runs with context.approved", async () => {
  await using llm = await FakeLlm.start();
  const ran: ToolContext[] = [];
  llm.enqueue(
    {
      toolCalls: [{ name: "shell", arguments: '{"command":"ls"}' }, {
        name: "shell",
        arguments: '{"command":"rm x"}',
      }],
    },
    { text: "done" },
  );
  const asked: ApprovalRequest[] = [];
  const events = await collect(
    makeAgent(llm, ran).run(turn, {
      approvals: approvals("dangerous", () => ({ approved: true }), asked),
    }),
  );
  assertEquals(asked.length, 1);
  assertEquals(asked[0].reason, "it deletes files");
  assert(asked[0].id.startsWith("mcpr_"));
  assertEquals(ran.map((c) => c.approved ?? false), [false, true]);
  const types = events.map((e) => e.type);
  assert(types.indexOf("approval_requested") < types.indexOf("approval_resolved"));
  const started = events.filter((e) => e.type === "tool_started");
  assertEquals(started.map((e) => e.type === "tool_started" && e.approvalId), [
    undefined,
    asked[0].id,
  ]);
});

Deno.test("a denied call is not run; the model reads the denial and its reason", async () => {
  await using llm = await FakeLlm.start();
  const ran: ToolContext[] = [];
  llm.enqueue({ toolCalls: [{ name: "shell", arguments: '{"command":"rm x"}' }] }, { text: "ok" });
  await collect(
    makeAgent(llm, ran).run(turn, {
      approvals: approvals("dangerous", () => ({ approved: false, reason: "too risky" })),
    }),
  );
  assertEquals(ran.length, 0);
  const tool = llm.requests[1].body.messages.find((m) => m.role === "tool");
  assert(
    tool.content.startsWith("denied: the user did not approve this call (their reason: too risky)"),
  );
});

Deno.test("a deferred call ends the turn pending; the next turn's decision runs it first", async () => {
  await using llm = await FakeLlm.start();
  const ran: ToolContext[] = [];
  const agent = makeAgent(llm, ran);
  llm.enqueue({
    toolCalls: [{ name: "look", arguments: "{}" }, {
      name: "shell",
      arguments: '{"command":"rm x"}',
    }],
  });
  const first = await collect(
    agent.run(turn, { approvals: approvals("dangerous", () => "defer") }),
  );
  const result = first.at(-1)!.type === "final"
    ? (first.at(-1) as {
      result: { pendingApprovals?: ApprovalRequest[]; messages: unknown[]; status: string };
    }).result
    : null;
  assertEquals(result?.status, "completed");
  assertEquals(result?.pendingApprovals?.length, 1);
  assertEquals(ran.length, 0); // the shell call waits (look ran without a context record)
  assertEquals(llm.requests.length, 1);

  const pending = result!.pendingApprovals![0];
  llm.enqueue({ text: "deleted" });
  const second = await collect(agent.run({
    ...turn,
    messages: [...turn.messages, ...(result!.messages as AgentTurn["messages"])],
    approvalDecisions: { [pending.call.id]: { approved: true, approvalId: pending.id } },
  }, { approvals: approvals("dangerous", () => "defer") }));
  assertEquals(ran.length, 1);
  assert(ran[0].approved);
  const sent = llm.requests[1].body.messages.map((m: { role: string }) => m.role);
  assertEquals(sent, ["system", "user", "assistant", "tool", "tool"]);
  const resolved = second.find((e) => e.type === "approval_resolved");
  assert(resolved?.type === "approval_resolved" && resolved.approval.id === pending.id);
});

Deno.test("a grant skips the question; a client's 'always' asks even for a read-only tool", async () => {
  await using llm = await FakeLlm.start();
  const ran: ToolContext[] = [];
  const asked: ApprovalRequest[] = [];
  llm.enqueue({ toolCalls: [{ name: "shell", arguments: '{"command":"rm x"}' }] }, { text: "a" });
  await collect(
    makeAgent(llm, ran).run(turn, {
      approvals: approvals("dangerous", () => ({ approved: false }), asked, {
        isGranted: () => true,
      }),
    }),
  );
  assertEquals(asked.length, 0);
  assertEquals(ran.length, 1);
  llm.enqueue({ toolCalls: [{ name: "look", arguments: "{}" }] }, { text: "b" });
  await collect(
    makeAgent(llm, ran).run(turn, {
      approvals: approvals("never", () => ({ approved: true }), asked, {
        clientRequirement: () => "always",
      }),
    }),
  );
  assertEquals(asked.map((a) => a.call.function.name), ["look"]);
});

Deno.test("answers typed as messages: approve/deny with an id, or a bare yes / no with a reason", () => {
  const id = `mcpr_${"a".repeat(32)}`;
  assertEquals(parseApprovalCommand(`approve ${id}`), { id, approved: true });
  assertEquals(parseApprovalCommand(`deny ${id} not today`), {
    id,
    approved: false,
    reason: "not today",
  });
  assertEquals(parseApprovalCommand("yes"), { id: null, approved: true });
  assertEquals(parseApprovalCommand("no, too risky"), {
    id: null,
    approved: false,
    reason: "too risky",
  });
  // A sentence is not an approval.
  assertEquals(parseApprovalCommand("yes but first show me the file"), null);
  assertEquals(parseApprovalCommand("what does it do?"), null);
});
