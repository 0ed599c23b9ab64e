/**
 * Slack approvals through a whole gateway (real agent, real Slack worker over Socket Mode, KV
 * file) against the fake Slack and the fake LLM: the question comes with Allow once / Always for
 * this chat / Deny buttons (Block Kit); a foreign user's press is refused; an allowed user's
 * press runs (or denies) the call, and the question is edited to show the outcome.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeLlm } from "../../fakes/fake_llm.ts";
import { FakeSlack, type SlackMessage } from "../../fakes/fake_slack.ts";
import { startTestGateway } from "../../fakes/test_gateway.ts";

const WRITE = { name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' };

async function slackGateway(slack: FakeSlack, llm: FakeLlm) {
  const g = await startTestGateway({
    upstream: llm.baseUrl,
    key: "slack-approvals-key-0123456789abcdef",
    configYaml: "approvals:\n  slack: always\n",
    env: {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_ROOT: slack.apiRoot,
      SLACK_ALLOWED_USERS: "U42",
      API_SERVER_ENABLED: "false",
    },
  });
  await slack.waitFor(() => slack.connections > 0);
  return g;
}

/** The `count`-th question (a message that asked with buttons), once it is there. */
async function question(slack: FakeSlack, count = 1): Promise<SlackMessage> {
  const asking = () => slack.messages().filter((m) => m.text.startsWith("⚠️ Approval needed"));
  await slack.waitFor(() => asking().length >= count);
  return asking()[count - 1];
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("Slack: buttons ask; a foreign user is refused; Allow once runs the call", async () => {
  await using slack = new FakeSlack();
  await using llm = await FakeLlm.start();
  await using g = await slackGateway(slack, llm);
  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written." });
  slack.sendMessage({ text: "write hello to out.txt" });
  const asked = await question(slack);
  assert.match(asked.text, /Approval needed: write_file/);
  assert.match(asked.text, /out\.txt/);
  assert.deepEqual(slack.buttons(asked.ts).map((b) => b.text), [
    "Allow once",
    "Always for this chat",
    "Deny",
  ]);
  const out = join(g.home, "workspace", "out.txt");

  slack.pressButton(asked.ts, "Allow once", { user: "U99" });
  await slack.waitFor(() =>
    slack.callsOf("chat.postEphemeral").some((c) =>
      c.body.user === "U99" && /not allowed/.test(c.body.text)
    )
  );
  assert.equal(await exists(out), false);
  assert.equal(slack.buttons(asked.ts).length, 3);

  slack.pressButton(asked.ts, "Allow once");
  await slack.waitFor(() => slack.messages().some((m) => m.text === "Written."));
  assert.equal(await Deno.readTextFile(out), "hello");
  await slack.waitFor(() => /Allowed/.test(slack.messages().find((m) => m.ts === asked.ts)!.text));
  assert.deepEqual(slack.buttons(asked.ts), []);
  await slack.waitFor(() =>
    slack.callsOf("chat.postEphemeral").some((c) =>
      c.body.user === "U42" && c.body.text === "Allowed once."
    )
  );
});

Deno.test("Slack: Deny tells the model; Always for this chat stops asking; a late press is told", async () => {
  await using slack = new FakeSlack();
  await using llm = await FakeLlm.start();
  await using g = await slackGateway(slack, llm);
  const out = join(g.home, "workspace", "out.txt");

  llm.enqueue({ toolCalls: [WRITE] }, { text: "I did not write it." });
  slack.sendMessage({ text: "write it" });
  const first = await question(slack, 1);
  slack.pressButton(first.ts, "Deny");
  await slack.waitFor(() => slack.messages().some((m) => m.text === "I did not write it."));
  const toolResult = llm.requests.at(-1)!.body.messages.findLast((m) => m.role === "tool");
  assert.match(toolResult.content, /^denied: the user did not approve this call/);
  assert.equal(await exists(out), false);
  await slack.waitFor(() => /Denied/.test(slack.messages().find((m) => m.ts === first.ts)!.text));

  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written, always." });
  slack.sendMessage({ text: "write it now" });
  const second = await question(slack, 2);
  slack.pressButton(second.ts, "Always for this chat");
  await slack.waitFor(() => slack.messages().some((m) => m.text === "Written, always."));
  assert.equal(await Deno.readTextFile(out), "hello");
  // Granted for this conversation: the next write runs without a question.
  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written again." });
  slack.sendMessage({ text: "again" });
  await slack.waitFor(() => slack.messages().some((m) => m.text === "Written again."));
  assert.equal(
    slack.messages().filter((m) => m.text.startsWith("⚠️ Approval needed")).length,
    2,
  );

  // A press on a question already answered is told so.
  slack.pressButton(first.ts, "Allow once");
  await slack.waitFor(() =>
    slack.callsOf("chat.postEphemeral").some((c) =>
      c.body.text === "This request was already answered."
    )
  );
});
