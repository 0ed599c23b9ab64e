/**
 * A platform whose worker cannot show approval questions (Slack, Discord) denies a call that
 * needs approval at once, telling the model which setting allows it, instead of waiting for an
 * answer nobody can give. Whole gateway: real agent, real Slack worker, fake Slack and fake LLM.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeLlm } from "../../fakes/fake_llm.ts";
import { FakeSlack } from "../../fakes/fake_slack.ts";
import { startTestGateway } from "../../fakes/test_gateway.ts";

const WRITE = { name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' };

Deno.test("Slack: a call that needs approval is denied at once, naming approvals.slack", async () => {
  await using slack = new FakeSlack();
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
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
  llm.enqueue({ toolCalls: [WRITE] }, { text: "I could not write it." });
  await slack.waitFor(() => slack.connections > 0, 60_000);
  slack.sendMessage({ text: "write hello to out.txt" });
  await llm.waitForRequests(2);
  const toolResult = llm.requests[1].body.messages.find((m: { role: string }) => m.role === "tool");
  assert.match(String(toolResult.content), /denied/i);
  assert.match(String(toolResult.content), /approvals\.slack/);
  await slack.waitFor(() => slack.messages().some((m) => m.text === "I could not write it."));
  const written = await Deno.stat(join(g.home, "workspace", "out.txt")).then(
    () => true,
    () => false,
  );
  assert.equal(written, false);
});
