/**
 * Test harness for the Slack adapter: the fake Slack (Web API + Socket Mode), a real
 * SessionStore on a KV file in a temp dir, a scripted agent, and the real worker started by the
 * platform host.
 * @module
 */
import type { ChatMessage } from "../../../agent/mod.ts";
import { ConfigSchema } from "../../../config/mod.ts";
import { type PlatformHandle, startPlatform } from "../../../platforms/mod.ts";
import { slackSpec } from "../../../platforms/slack/mod.ts";
import { SessionStore } from "../../../store/mod.ts";
import { FakeSlack } from "../../fakes/fake_slack.ts";
import { Logs, type Script, ScriptedAgent } from "../harness.ts";

/** A running Slack adapter with its fakes. */
export interface SlackHarness {
  slack: FakeSlack;
  agent: ScriptedAgent;
  sessions: SessionStore<ChatMessage>;
  logs: Logs;
  handle: PlatformHandle;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the Slack adapter against a fresh fake Slack and waits until it is connected. */
export async function startSlackHarness(
  script: Script,
  options: {
    slack?: Record<string, unknown>;
    streaming?: Record<string, unknown>;
    crashOnText?: string;
    crashGenerations?: number;
    waitConnected?: boolean;
    fake?: FakeSlack;
  } = {},
): Promise<SlackHarness> {
  const slack = options.fake ?? new FakeSlack();
  const dir = await Deno.makeTempDir({ prefix: "herald-slack-" });
  const kv = await Deno.openKv(`${dir}/herald.kv`);
  const sessions = new SessionStore<ChatMessage>(kv);
  const agent = new ScriptedAgent(script);
  const logs = new Logs();
  const config = ConfigSchema.parse({
    slack: {
      bot_token: slack.botToken,
      app_token: slack.appToken,
      api_root: slack.apiRoot,
      allowed_users: ["U42"],
      ...options.slack,
    },
    streaming: { edit_interval: 0.05, min_tokens: 3, ...options.streaming },
  });
  const handle = await startPlatform(
    slackSpec({ config, home: dir, workspace: dir, baseUrl: "http://127.0.0.1:1/v1" }),
    {
      config: { config, home: dir, workspace: dir, baseUrl: "http://127.0.0.1:1/v1" },
      agent,
      sessions,
      log: logs.push,
      kv,
      restartDelayMs: 20,
      crashOnText: options.crashOnText,
      crashGenerations: options.crashGenerations,
    },
  );
  // The first start of a worker in a test run type-checks it, which takes a while on a busy machine.
  if (options.waitConnected !== false) await logs.waitFor("connected as", 1, 60_000);
  return {
    slack,
    agent,
    sessions,
    logs,
    handle,
    async [Symbol.asyncDispose]() {
      await handle.stop();
      if (!options.fake) await slack.close();
      kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
