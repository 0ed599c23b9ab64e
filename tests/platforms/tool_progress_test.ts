import assert from "node:assert/strict";
import type { AgentEvent } from "../../agent/mod.ts";
import type { MessageId, ReplyFailure, ReplySurface } from "../../platforms/stream_editor.ts";
import { TOOL_PROGRESS_MAX_LINES, ToolProgress } from "../../platforms/tool_progress.ts";
import { FakeClock } from "./fake_clock.ts";
import { deltas, final, type Script } from "./harness.ts";
import { PLATFORMS, startTestbed, type Testbed } from "./testbed.ts";

const REPLY = "All done now.";
const TOOLS = ["terminal", "terminal", "read_file", "terminal"];

function toolStarted(id: string, name: string): AgentEvent {
  return {
    type: "tool_started",
    call: { id, type: "function", function: { name, arguments: "{}" } },
    origin: "herald",
  };
}

/**
 * A turn that starts `tools` one by one, then answers. After a tool that changes the progress
 * message it waits for the bot's next message call, so each change is its own send or edit.
 */
function toolsThenReply(tools: string[], mode: "off" | "new" | "all", bed: Testbed): Script {
  return async function* () {
    for (const [i, name] of tools.entries()) {
      const before = bed.messageCalls().length;
      yield toolStarted(String(i), name);
      const changes = mode === "all" || (mode === "new" && name !== tools[i - 1]);
      if (changes) await bed.waitFor(() => bed.messageCalls().length > before);
    }
    yield { type: "segment_break" };
    yield* deltas(REPLY);
    yield final(REPLY);
  };
}

/** The script until the test sets the real one (it needs the running testbed). */
const idle: Script = async function* () {};

const progressOf = (bed: Testbed) => bed.messages().filter((m) => m.text.includes("⚙️"));

for (const platform of PLATFORMS) {
  Deno.test(`${platform}: tool progress 'new' is one silent message, edited, a line when the tool changes`, async () => {
    await using b = await startTestbed(platform, idle, {
      settings: { tool_progress: "new" },
    });
    b.agent.script = toolsThenReply(TOOLS, "new", b);
    b.send("work");
    await b.waitFor(() => b.messages().some((m) => m.text === REPLY));
    const progress = progressOf(b);
    assert.equal(progress.length, 1, "one progress message for the whole turn");
    assert.equal(progress[0].text, "⚙️ terminal\n⚙️ read_file\n⚙️ terminal");
    assert.equal(progress[0].edits, 2, "the message grew by edits, not new messages");
    if (platform !== "slack") assert.equal(progress[0].silent, true, "sent without a notification");
    assert.deepEqual(b.messages().map((m) => m.text), [progress[0].text, REPLY]);
  });

  Deno.test(`${platform}: tool progress 'all' shows a line for every call`, async () => {
    await using b = await startTestbed(platform, idle, {
      settings: { tool_progress: "all" },
    });
    b.agent.script = toolsThenReply(TOOLS, "all", b);
    b.send("work");
    await b.waitFor(() => b.messages().some((m) => m.text === REPLY));
    const progress = progressOf(b);
    assert.equal(progress.length, 1);
    assert.equal(progress[0].text, TOOLS.map((t) => `⚙️ ${t}`).join("\n"));
    assert.equal(progress[0].edits, 3);
  });

  Deno.test(`${platform}: tool progress 'off' sends no progress message`, async () => {
    await using b = await startTestbed(platform, idle, {
      settings: { tool_progress: "off" },
    });
    b.agent.script = toolsThenReply(TOOLS, "off", b);
    b.send("work");
    await b.waitFor(() => b.messages().some((m) => m.text === REPLY));
    assert.deepEqual(b.messages().map((m) => m.text), [REPLY]);
  });

  Deno.test(`${platform}: a rate-limited progress edit is retried after the platform's wait, and the last state shows`, async () => {
    const tools = ["terminal", "read_file", "web_fetch"];
    await using b = await startTestbed(platform, idle, {
      settings: { tool_progress: "all" },
    });
    b.agent.script = toolsThenReply(tools, "all", b);
    b.rateLimitNextEdit(1);
    b.send("work");
    await b.waitFor(() => b.messages().some((m) => m.text === REPLY));
    const progress = progressOf(b);
    assert.equal(progress.length, 1);
    assert.equal(progress[0].text, "⚙️ terminal\n⚙️ read_file\n⚙️ web_fetch");
    const edits = b.messageCalls().filter((c) => c.kind === "edit");
    assert.ok(edits.length >= 2);
    // The first edit got the 429; nothing was edited again before its 1 s wait was over.
    assert.ok(edits[1].at - edits[0].at >= 990, "the edit after a 429 waited the platform's wait");
  });
}

/** A surface that records calls and refuses the next edits with the given failures. */
class RecordingSurface implements ReplySurface {
  calls: { kind: "send" | "edit"; text: string; at: number; silent?: boolean }[] = [];
  editFailures: unknown[] = [];
  constructor(private clock: FakeClock) {}
  send(text: string, options: { silent?: boolean }): Promise<MessageId> {
    this.calls.push({ kind: "send", text, at: this.clock.now(), silent: options.silent });
    return Promise.resolve(1);
  }
  edit(_id: MessageId, text: string): Promise<void> {
    this.calls.push({ kind: "edit", text, at: this.clock.now() });
    const failure = this.editFailures.shift();
    return failure ? Promise.reject(failure) : Promise.resolve();
  }
}

/** Failures read the way Discord's and Slack's classifiers read a 429: retry after N seconds. */
const floodFormat = {
  label: "Test",
  classify: (error: unknown): ReplyFailure =>
    typeof error === "number"
      ? { kind: "flood", retryAfterSeconds: error }
      : { kind: "other", message: String(error) },
};

function progressSetup(mode: "new" | "all" = "all") {
  const clock = new FakeClock();
  const api = new RecordingSurface(clock);
  const progress = new ToolProgress({ api, format: floodFormat, mode, intervalMs: 1000, clock });
  return { clock, api, progress };
}

Deno.test("tool progress shows the last 10 tools and counts the earlier ones", async () => {
  const { clock, api, progress } = progressSetup();
  for (let i = 1; i <= 13; i++) progress.add(`tool_${i}`);
  await clock.runUntil(progress.close());
  const lines = api.calls.at(-1)!.text.split("\n");
  assert.equal(lines.length, TOOL_PROGRESS_MAX_LINES + 1);
  assert.equal(lines[0], "… 3 earlier");
  assert.equal(lines[1], "⚙️ tool_4");
  assert.equal(lines.at(-1), "⚙️ tool_13");
});

Deno.test("tool progress calls are spaced by the interval, a burst coalesced into one edit", async () => {
  const { clock, api, progress } = progressSetup();
  progress.add("terminal");
  await clock.advance(0);
  for (const name of ["read_file", "write_file", "web_fetch"]) progress.add(name);
  await clock.advance(999);
  assert.deepEqual(api.calls.map((c) => c.kind), ["send"], "no edit before the interval");
  assert.equal(api.calls[0].silent, true);
  await clock.advance(1);
  assert.deepEqual(api.calls.map((c) => [c.kind, c.at]), [["send", 0], ["edit", 1000]]);
  assert.equal(api.calls[1].text.split("\n").length, 4, "the burst is one edit");
  await clock.runUntil(progress.close());
  assert.equal(api.calls.length, 2, "nothing left to show at close");
});

Deno.test("a rate-limited last update is tried again after a short wait, not after a long one", async () => {
  for (const [retryAfter, expected] of [[3, 3], [30, 2]] as const) {
    const { clock, api, progress } = progressSetup();
    progress.add("terminal");
    await clock.advance(0);
    progress.add("read_file");
    api.editFailures.push(retryAfter);
    await clock.advance(1000);
    await clock.runUntil(progress.close());
    assert.equal(api.calls.length, expected, `retry_after ${retryAfter}`);
    if (expected === 3) assert.ok(api.calls[2].at - api.calls[1].at >= retryAfter * 1000);
  }
});

Deno.test("the first tool waits for its progress message to exist, so the reply's next message comes below it", async () => {
  const clock = new FakeClock();
  const sent = Promise.withResolvers<MessageId>();
  const calls: string[] = [];
  const api: ReplySurface = {
    send: (text) => {
      calls.push(`send ${text}`);
      return sent.promise;
    },
    edit: (_id, text) => {
      calls.push(`edit ${text}`);
      return Promise.resolve();
    },
  };
  const progress = new ToolProgress({
    api,
    format: floodFormat,
    mode: "all",
    intervalMs: 1000,
    clock,
  });
  let added = false;
  const adding = progress.add("terminal").then(() => added = true);
  await clock.advance(0);
  assert.deepEqual(calls, ["send ⚙️ terminal"]);
  assert.equal(added, false, "not before the platform answered the send");
  sent.resolve(1);
  await adding;
  // A later tool only edits the message, which moves nothing: no wait for it.
  await progress.add("read_file");
  assert.deepEqual(calls, ["send ⚙️ terminal"]);
  await clock.runUntil(progress.close());
  assert.deepEqual(calls, ["send ⚙️ terminal", "edit ⚙️ terminal\n⚙️ read_file"]);
});
