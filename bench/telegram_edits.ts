/**
 * Telegram: how many message edits a long streamed reply costs per minute against
 * `streaming.edit_interval`, with the real host and worker talking to the fake Bot API.
 * Runs in-process: the fake answers instantly, so the editor's pacing is all that is measured.
 * @module
 */
import { join } from "node:path";
import type { ChatMessage } from "../agent/mod.ts";
import { ConfigSchema } from "../config/mod.ts";
import { startTelegram } from "../platforms/mod.ts";
import { SessionStore } from "../store/mod.ts";
import { FakeBotApi } from "../tests/fakes/fake_bot_api.ts";
import { pacedAgent } from "./paced_agent.ts";
import { round } from "./stats.ts";

/** Edit-rate figures. */
export interface TelegramResult {
  edit_interval_s: number;
  stream_s: number;
  reply_chars: number;
  /** editMessageText plus sendMessage calls while the reply streamed. */
  api_calls: number;
  /** editMessageText calls. */
  edits: number;
  /** Edits ÷ the time from the first message to the last edit. */
  edits_per_minute: number;
  /** 60 ÷ edit_interval: the most the interval allows on one message. */
  allowed_per_minute: number;
  /** Shortest gap between two edits of the same message. */
  min_gap_ms: number;
}

/** Streams one reply for `streamMs` with the given edit interval and counts the Bot API calls. */
export async function benchTelegramEdits(
  options: { editIntervalS: number; streamMs: number; tokenMs: number },
): Promise<TelegramResult> {
  const api = new FakeBotApi();
  const dir = await Deno.makeTempDir({ prefix: "herald-bench-telegram-" });
  const kv = await Deno.openKv(join(dir, "herald.kv"));
  const agent = pacedAgent(options.streamMs, options.tokenMs);
  const lines: string[] = [];
  let connected!: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  const handle = await startTelegram({
    config: {
      config: ConfigSchema.parse({
        telegram: { bot_token: api.token, api_root: api.apiRoot, allowed_users: ["42"] },
        streaming: { edit_interval: options.editIntervalS },
      }),
      home: dir,
      workspace: dir,
      baseUrl: "http://127.0.0.1:1/v1",
    },
    agent,
    sessions: new SessionStore<ChatMessage>(kv),
    log: (line) => {
      lines.push(line);
      if (line.includes("connected as")) connected();
    },
  });
  try {
    await ready;
    const before = api.calls.length;
    const start = performance.now();
    api.sendUserMessage({ text: "write a long answer" });
    await api.waitFor(
      () => [...api.messages.values()].some((m) => m.text.includes("END")),
      options.streamMs + 30_000,
    );
    const elapsed = performance.now() - start;
    const calls = api.calls.slice(before).filter((c) =>
      c.method === "editMessageText" || c.method === "sendMessage"
    );
    const edits = calls.filter((c) => c.method === "editMessageText");
    // n edits paced at the interval after the first message span n intervals: n ÷ span is
    // exactly the allowed rate when the editor keeps to it.
    const spanMs = calls.length > 1 ? calls.at(-1)!.at - calls[0].at : NaN;
    const gaps: number[] = [];
    const lastEdit = new Map<number, number>();
    for (const c of calls) {
      if (c.method !== "editMessageText") continue;
      const prev = lastEdit.get(c.body.message_id);
      if (prev !== undefined) gaps.push(c.at - prev);
      lastEdit.set(c.body.message_id, c.at);
    }
    return {
      edit_interval_s: options.editIntervalS,
      stream_s: round(elapsed / 1000, 2),
      reply_chars: agent.chars,
      api_calls: calls.length,
      edits: edits.length,
      edits_per_minute: round(edits.length / (spanMs / 60_000), 1),
      allowed_per_minute: round(60 / options.editIntervalS, 1),
      min_gap_ms: gaps.length ? round(Math.min(...gaps), 1) : NaN,
    };
  } finally {
    await handle.stop();
    await api.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}
