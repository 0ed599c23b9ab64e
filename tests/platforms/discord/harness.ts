/**
 * Test harness for the Discord adapter: the fake Discord (REST + Gateway), a real
 * SessionStore on a KV file in a temp dir, a scripted agent, and the real worker started by the
 * platform host.
 * @module
 */
import type { ChatMessage } from "../../../agent/mod.ts";
import { ConfigSchema } from "../../../config/mod.ts";
import { type PlatformHandle, startPlatform } from "../../../platforms/mod.ts";
import { discordSpec } from "../../../platforms/mod.ts";
import { SessionStore } from "../../../store/mod.ts";
import { FakeDiscord } from "../../fakes/fake_discord.ts";
import { Logs, type Script, ScriptedAgent } from "../harness.ts";

/** A running Discord adapter with its fakes. */
export interface DiscordHarness {
  discord: FakeDiscord;
  agent: ScriptedAgent;
  sessions: SessionStore<ChatMessage>;
  logs: Logs;
  handle: PlatformHandle;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the Discord adapter against a fresh fake Discord and waits until it is connected. */
export async function startDiscordHarness(
  script: Script,
  options: {
    discord?: Record<string, unknown>;
    streaming?: Record<string, unknown>;
    crashOnText?: string;
    crashGenerations?: number;
    typingIntervalMs?: number;
    waitConnected?: boolean;
    fake?: FakeDiscord;
  } = {},
): Promise<DiscordHarness> {
  const discord = options.fake ?? new FakeDiscord();
  const dir = await Deno.makeTempDir({ prefix: "herald-discord-" });
  const kv = await Deno.openKv(`${dir}/herald.kv`);
  const sessions = new SessionStore<ChatMessage>(kv);
  const agent = new ScriptedAgent(script);
  const logs = new Logs();
  const config = ConfigSchema.parse({
    discord: {
      bot_token: discord.token,
      api_root: discord.apiRoot,
      allowed_users: ["42"],
      ...options.discord,
    },
    streaming: { edit_interval: 0.05, min_tokens: 3, ...options.streaming },
  });
  const handle = await startPlatform(
    discordSpec({ config, home: dir, workspace: dir, baseUrl: "http://127.0.0.1:1/v1" }),
    {
      config: { config, home: dir, workspace: dir, baseUrl: "http://127.0.0.1:1/v1" },
      agent,
      sessions,
      log: logs.push,
      kv,
      restartDelayMs: 20,
      crashOnText: options.crashOnText,
      crashGenerations: options.crashGenerations,
      typingIntervalMs: options.typingIntervalMs,
    },
  );
  // The first start of a worker in a test run type-checks it, which takes a while on a busy machine.
  if (options.waitConnected !== false) await logs.waitFor("connected as", 1, 60_000);
  return {
    discord,
    agent,
    sessions,
    logs,
    handle,
    async [Symbol.asyncDispose]() {
      await handle.stop();
      if (!options.fake) await discord.close();
      kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
