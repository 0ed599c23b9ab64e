/**
 * Idle resident memory of the gateway process: alone, with the Telegram worker, and with all
 * three platform workers (Telegram, Discord, Slack), against the test fakes in their own processes.
 * @module
 */
import { rssMb, startBotApi, startChatFakes, startGateway } from "./processes.ts";
import { round } from "./stats.ts";

/** Idle RSS figures in MB. */
export interface MemoryResult {
  idle_rss_mb: number;
  idle_rss_with_telegram_mb: number;
  /** Telegram, Discord and Slack connected. */
  idle_rss_with_all_platforms_mb: number;
}

/** Measures idle RSS `settleMs` after the gateway answered (and, with Telegram, connected). */
export async function benchMemory(upstream: string, settleMs: number): Promise<MemoryResult> {
  // One start first: V8's code cache is shared with every Deno process on the machine, this one
  // included, and an entry written under other V8 flags is recompiled (and rewritten) on first
  // use. The measured gateway then starts as it does every time after its first.
  await (await startGateway({ upstream })).close();
  const plain = await startGateway({ upstream });
  let idle: number;
  try {
    await new Promise((r) => setTimeout(r, settleMs));
    idle = rssMb(plain.child.pid);
  } finally {
    await plain.close();
  }

  const api = await startBotApi();
  const chats = await startChatFakes();
  try {
    const withBot = await startGateway({
      upstream,
      env: {
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: api.apiRoot,
        TELEGRAM_ALLOWED_USERS: "42",
      },
    });
    let withTelegram: number;
    try {
      await withBot.child.waitForLine(/Telegram: connected as/);
      await new Promise((r) => setTimeout(r, settleMs));
      withTelegram = rssMb(withBot.child.pid);
    } finally {
      await withBot.close();
    }
    const withAll = await startGateway({
      upstream,
      env: {
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: api.apiRoot,
        TELEGRAM_ALLOWED_USERS: "42",
        DISCORD_BOT_TOKEN: chats.discord.token,
        DISCORD_API_ROOT: chats.discord.apiRoot,
        DISCORD_ALLOWED_USERS: "42",
        SLACK_BOT_TOKEN: chats.slack.botToken,
        SLACK_APP_TOKEN: chats.slack.appToken,
        SLACK_API_ROOT: chats.slack.apiRoot,
        SLACK_ALLOWED_USERS: "U42",
      },
    });
    try {
      // Lines arrive in any order; wait until all three adapters said they are connected.
      for (const name of ["Telegram", "Discord", "Slack"]) {
        await withAll.child.waitForLine(new RegExp(`${name}: connected as`));
      }
      await new Promise((r) => setTimeout(r, settleMs));
      return {
        idle_rss_mb: round(idle, 1),
        idle_rss_with_telegram_mb: round(withTelegram, 1),
        idle_rss_with_all_platforms_mb: round(rssMb(withAll.child.pid), 1),
      };
    } finally {
      await withAll.close();
    }
  } finally {
    await api.child.stop();
    await chats.child.stop();
  }
}
