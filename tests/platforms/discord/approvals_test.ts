/**
 * Discord cannot show approval questions yet: a call that needs approval is denied at once,
 * telling the model which setting allows it, instead of waiting for an answer nobody can give.
 * Whole gateway: real agent, real Discord worker, fake Discord and fake LLM.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeLlm } from "../../fakes/fake_llm.ts";
import { FakeDiscord } from "../../fakes/fake_discord.ts";
import { startTestGateway } from "../../fakes/test_gateway.ts";

const WRITE = { name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' };

Deno.test("Discord: a call that needs approval is denied at once, naming approvals.discord", async () => {
  await using discord = new FakeDiscord();
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: "discord-approvals-key-0123456789ab",
    configYaml: "approvals:\n  discord: always\n",
    env: {
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_ROOT: discord.apiRoot,
      DISCORD_ALLOWED_USERS: "42",
      API_SERVER_ENABLED: "false",
    },
  });
  llm.enqueue({ toolCalls: [WRITE] }, { text: "I could not write it." });
  await discord.waitFor(() => discord.gatewayOps.includes(2), 60_000);
  discord.sendMessage({ content: "write hello to out.txt" });
  await llm.waitForRequests(2);
  const toolResult = llm.requests[1].body.messages.find((m: { role: string }) => m.role === "tool");
  assert.match(String(toolResult.content), /denied/i);
  assert.match(String(toolResult.content), /approvals\.discord/);
  await discord.waitFor(() =>
    discord.messages().some((m) => m.content === "I could not write it.")
  );
  const written = await Deno.stat(join(g.home, "workspace", "out.txt")).then(
    () => true,
    () => false,
  );
  assert.equal(written, false);
});
