/**
 * Discord and Slack: how many message updates a long streamed reply costs per minute against
 * `streaming.edit_interval`, and the shortest gap between two, with the real host and worker
 * talking to the test fakes. In-process: the fakes answer instantly, so the editor's pacing is
 * all that is measured. (Telegram's figure is bench/telegram_edits.ts.)
 * @module
 */
import { join } from "node:path";
import type { ChatMessage } from "../agent/mod.ts";
import { ConfigSchema } from "../config/mod.ts";
import { discordSpec, type PlatformSpec, slackSpec, startPlatform } from "../platforms/mod.ts";
import { SessionStore } from "../store/mod.ts";
import { FakeDiscord } from "../tests/fakes/fake_discord.ts";
import { FakeSlack } from "../tests/fakes/fake_slack.ts";
import { pacedAgent } from "./paced_agent.ts";
import { round } from "./stats.ts";

/** Update-rate figures for one platform. */
export interface PlatformEditsResult {
  edit_interval_s: number;
  stream_s: number;
  /** Message updates (the first send, edits, stream appends) while the reply streamed. */
  updates: number;
  /** Updates ÷ the time from the first to the last. */
  updates_per_minute: number;
  /** 60 ÷ edit_interval: the most the interval allows. */
  allowed_per_minute: number;
  /** Shortest gap between two updates. */
  min_gap_ms: number;
}

interface Fake {
  start(): void;
  done(): boolean;
  updateTimes(): number[];
  waitFor(predicate: () => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Streams one reply on `platform` for `streamMs` and counts the message updates. */
export async function benchPlatformEdits(
  platform: "discord" | "slack",
  options: { editIntervalS: number; streamMs: number; tokenMs: number },
): Promise<PlatformEditsResult> {
  const dir = await Deno.makeTempDir({ prefix: `herald-bench-${platform}-` });
  const kv = await Deno.openKv(join(dir, "herald.kv"));
  let fake: Fake;
  let section: Record<string, unknown>;
  if (platform === "discord") {
    const discord = new FakeDiscord();
    section = { bot_token: discord.token, api_root: discord.apiRoot, allowed_users: ["42"] };
    fake = {
      start: () => void discord.sendMessage({ content: "write a long answer" }),
      done: () => discord.messages().some((m) => m.content.endsWith("END")),
      updateTimes: () =>
        discord.calls.filter((c) =>
          (c.method === "POST" || c.method === "PATCH") && /^\/channels\/\w+\/messages/.test(c.path)
        ).map((c) => c.at),
      waitFor: (p, t) => discord.waitFor(p, t),
      close: () => discord.close(),
    };
  } else {
    const slack = new FakeSlack();
    section = {
      bot_token: slack.botToken,
      app_token: slack.appToken,
      api_root: slack.apiRoot,
      allowed_users: ["U42"],
    };
    const updates = ["chat.postMessage", "chat.update", "chat.startStream", "chat.appendStream"];
    fake = {
      // A mention in a channel: the reply streams into a thread with Slack's streaming methods.
      start: () =>
        void slack.sendMessage({ channel: "C1", text: "write a long answer", mention: true }),
      done: () => slack.callsOf("chat.stopStream").length > 0,
      updateTimes: () =>
        slack.calls.filter((c) => updates.includes(c.method) || c.method === "chat.stopStream")
          .map((c) => c.at),
      waitFor: (p, t) => slack.waitFor(p, t),
      close: () => slack.close(),
    };
  }
  const config = ConfigSchema.parse({
    [platform]: section,
    streaming: { edit_interval: options.editIntervalS },
  });
  const resolved = { config, home: dir, workspace: dir, baseUrl: "http://127.0.0.1:1/v1" };
  const spec: PlatformSpec = platform === "discord" ? discordSpec(resolved) : slackSpec(resolved);
  let connected!: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  const handle = await startPlatform(spec, {
    config: resolved,
    agent: pacedAgent(options.streamMs, options.tokenMs),
    sessions: new SessionStore<ChatMessage>(kv),
    log: (line) => {
      if (line.includes("connected as")) connected();
    },
  });
  try {
    await ready;
    const before = fake.updateTimes().length;
    const start = performance.now();
    fake.start();
    await fake.waitFor(() => fake.done(), options.streamMs + 30_000);
    const elapsed = performance.now() - start;
    const times = fake.updateTimes().slice(before);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    const spanMs = times.length > 1 ? times.at(-1)! - times[0] : NaN;
    return {
      edit_interval_s: options.editIntervalS,
      stream_s: round(elapsed / 1000, 2),
      updates: times.length,
      updates_per_minute: round((times.length - 1) / (spanMs / 60_000), 1),
      allowed_per_minute: round(60 / options.editIntervalS, 1),
      min_gap_ms: gaps.length ? round(Math.min(...gaps), 1) : NaN,
    };
  } finally {
    await handle.stop();
    await fake.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}
