/**
 * The test suite's fake Discord and fake Slack, run as their own process for the memory
 * benchmark. Prints `listening <discord api root> <discord token> <slack api root> <slack bot
 * token> <slack app token>`.
 * Run: deno run -A bench/fake_chat_servers.ts
 * @module
 */
import { FakeDiscord } from "../tests/fakes/fake_discord.ts";
import { FakeSlack } from "../tests/fakes/fake_slack.ts";

if (import.meta.main) {
  const discord = new FakeDiscord();
  const slack = new FakeSlack();
  console.log(
    `listening ${discord.apiRoot} ${discord.token} ${slack.apiRoot} ${slack.botToken} ${slack.appToken}`,
  );
  Deno.addSignalListener("SIGTERM", () => {
    Promise.all([discord.close(), slack.close()]).then(() => Deno.exit(0));
  });
}
