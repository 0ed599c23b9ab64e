/**
 * Discord approvals through a whole gateway (real agent, real Discord worker, KV file) against
 * the fake Discord and the fake LLM: the question comes with Allow once / Always for this chat /
 * Deny buttons (message components); a foreign user's press is refused; an allowed user's press
 * runs (or denies) the call, and the question is edited to show the outcome.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeLlm } from "../../fakes/fake_llm.ts";
import { type DiscordMessage, FakeDiscord } from "../../fakes/fake_discord.ts";
import { startTestGateway } from "../../fakes/test_gateway.ts";

const WRITE = { name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' };

async function discordGateway(discord: FakeDiscord, llm: FakeLlm) {
  const g = await startTestGateway({
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
  await discord.waitFor(() => discord.gatewayOps.includes(2));
  return g;
}

/** The `count`-th question (a message that asked with buttons), once it is there. */
async function question(discord: FakeDiscord, count = 1): Promise<DiscordMessage> {
  const asking = () => discord.messages().filter((m) => m.content.startsWith("⚠️ Approval needed"));
  await discord.waitFor(() => asking().length >= count);
  return asking()[count - 1];
}

function shown(discord: FakeDiscord, id: string): DiscordMessage {
  return discord.messages().find((m) => m.id === id)!;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("Discord: buttons ask; a foreign user is refused; Allow once runs the call", async () => {
  await using discord = new FakeDiscord();
  await using llm = await FakeLlm.start();
  await using g = await discordGateway(discord, llm);
  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written." });
  discord.sendMessage({ content: "write hello to out.txt" });
  const asked = await question(discord);
  assert.match(asked.content, /Approval needed: write_file/);
  assert.match(asked.content, /out\.txt/);
  assert.deepEqual(discord.buttons(asked.id).map((b) => b.label), [
    "Allow once",
    "Always for this chat",
    "Deny",
  ]);
  const out = join(g.home, "workspace", "out.txt");

  const foreign = discord.pressButton(asked.id, "Allow once", { userId: "99" });
  await discord.waitFor(() =>
    discord.calls.some((c) =>
      c.path.startsWith(`/interactions/${foreign}/`) && c.body?.type === 4 &&
      /not allowed/.test(c.body.data?.content)
    )
  );
  assert.equal(await exists(out), false);
  assert.equal(discord.buttons(asked.id).length, 3);

  discord.pressButton(asked.id, "Allow once");
  await discord.waitFor(() => discord.messages().some((m) => m.content === "Written."));
  assert.equal(await Deno.readTextFile(out), "hello");
  await discord.waitFor(() => /Allowed/.test(shown(discord, asked.id).content));
  assert.deepEqual(discord.buttons(asked.id), []);
  await discord.waitFor(() =>
    discord.calls.some((c) =>
      c.method === "POST" && c.path.startsWith("/webhooks/") && c.body?.content === "Allowed once."
    )
  );
});

Deno.test("Discord: Deny tells the model; Always for this chat stops asking; a late press is told", async () => {
  await using discord = new FakeDiscord();
  await using llm = await FakeLlm.start();
  await using g = await discordGateway(discord, llm);
  const out = join(g.home, "workspace", "out.txt");

  llm.enqueue({ toolCalls: [WRITE] }, { text: "I did not write it." });
  discord.sendMessage({ content: "write it" });
  const first = await question(discord, 1);
  discord.pressButton(first.id, "Deny");
  await discord.waitFor(() => discord.messages().some((m) => m.content === "I did not write it."));
  const toolResult = llm.requests.at(-1)!.body.messages.findLast((m) => m.role === "tool");
  assert.match(toolResult.content, /^denied: the user did not approve this call/);
  assert.equal(await exists(out), false);
  await discord.waitFor(() => /Denied/.test(shown(discord, first.id).content));

  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written, always." });
  discord.sendMessage({ content: "write it now" });
  const second = await question(discord, 2);
  discord.pressButton(second.id, "Always for this chat");
  await discord.waitFor(() => discord.messages().some((m) => m.content === "Written, always."));
  assert.equal(await Deno.readTextFile(out), "hello");
  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written again." });
  discord.sendMessage({ content: "again" });
  await discord.waitFor(() => discord.messages().some((m) => m.content === "Written again."));
  assert.equal(
    discord.messages().filter((m) => m.content.startsWith("⚠️ Approval needed")).length,
    2,
  );

  discord.pressButton(first.id, "Allow once");
  await discord.waitFor(() =>
    discord.calls.some((c) =>
      c.path.startsWith("/webhooks/") && c.body?.content === "This request was already answered."
    )
  );
});
