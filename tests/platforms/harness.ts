/**
 * Test harness for the Telegram adapter: the fake Bot API, a real SessionStore on a KV file in a
 * temp dir, a scripted agent, and the real worker started through the host.
 * @module
 */
import type { AgentEvent, AgentTurn, TurnResult } from "../../agent/mod.ts";
import { type ChatMessage, emptyUsage } from "../../agent/mod.ts";
import { ConfigSchema } from "../../config/mod.ts";
import { startTelegram, type TelegramHandle } from "../../platforms/mod.ts";
import type { UpdateInbox } from "../../platforms/mod.ts";
import { SessionStore } from "../../store/mod.ts";
import { FakeBotApi } from "../fakes/fake_bot_api.ts";

/** A scripted turn: yields the events the test wants, when it wants. */
export type Script = (turn: AgentTurn, signal: AbortSignal) => AsyncGenerator<AgentEvent>;

/** An AgentLike that plays scripts and records the turns it was given. */
export class ScriptedAgent {
  readonly turns: AgentTurn[] = [];
  constructor(public script: Script) {}

  async *run(turn: AgentTurn, options: { signal?: AbortSignal }): AsyncGenerator<AgentEvent> {
    this.turns.push(structuredClone(turn));
    yield* this.script(turn, options.signal ?? new AbortController().signal);
  }
}

/** A final event. */
export function final(text: string, status: TurnResult["status"] = "completed"): AgentEvent {
  return {
    type: "final",
    result: {
      status,
      text,
      messages: text ? [{ role: "assistant", content: text }] : [],
      usage: emptyUsage(),
      finishReason: "stop",
      clientToolCalls: [],
    },
  };
}

/** Text delta events, one per word (keeping the spaces). */
export function deltas(text: string): AgentEvent[] {
  return (text.match(/\S+\s*|\s+/g) ?? []).map((delta) => ({ type: "text_delta", delta }));
}

/** A script that answers every message with `reply(userText)` in one go. */
export function echo(reply: (text: string) => string): Script {
  return async function* (turn) {
    const last = turn.messages[turn.messages.length - 1];
    const text = reply(typeof last.content === "string" ? last.content : "");
    yield* deltas(text);
    yield final(text);
  };
}

/** Resolves when the signal aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Collected log lines, awaitable. */
export class Logs {
  readonly lines: string[] = [];
  #watchers = new Set<() => void>();

  push = (line: string): void => {
    this.lines.push(line);
    for (const w of [...this.#watchers]) w();
  };

  /** Resolves once `count` lines contain `text`. */
  waitFor(text: string, count = 1, timeoutMs = 10_000): Promise<void> {
    const done = () => this.lines.filter((l) => l.includes(text)).length >= count;
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        this.#watchers.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#watchers.delete(check);
        reject(
          new Error(`No log line with "${text}" within ${timeoutMs} ms:\n${this.lines.join("\n")}`),
        );
      }, timeoutMs);
      this.#watchers.add(check);
    });
  }
}

/** Settings a test may override. */
export interface HarnessOptions {
  telegram?: Record<string, unknown>;
  streaming?: Record<string, unknown>;
  crashOnText?: string;
  crashGenerations?: number;
  typingIntervalMs?: number;
  inbox?: UpdateInbox;
  /** A fake Bot API to use and leave open (restart tests); default a new one. */
  api?: FakeBotApi;
  /** A directory holding the KV file to use and keep (restart tests); default a new temp dir. */
  dir?: string;
  /** Wait for "connected as" before returning; default true. */
  waitConnected?: boolean;
}

/** A running adapter with its fakes. */
export interface Harness {
  api: FakeBotApi;
  agent: ScriptedAgent;
  sessions: SessionStore<ChatMessage>;
  logs: Logs;
  handle: TelegramHandle;
  kv: Deno.Kv;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the adapter against a fresh fake Bot API and waits until the bot is connected. */
export async function startHarness(script: Script, options: HarnessOptions = {}): Promise<Harness> {
  const api = options.api ?? new FakeBotApi();
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "herald-telegram-" });
  const kv = await Deno.openKv(`${dir}/herald.kv`);
  const sessions = new SessionStore<ChatMessage>(kv);
  const agent = new ScriptedAgent(script);
  const logs = new Logs();
  const config = ConfigSchema.parse({
    telegram: {
      bot_token: api.token,
      api_root: api.apiRoot,
      allowed_users: ["42"],
      ...options.telegram,
    },
    streaming: { edit_interval: 0.05, min_tokens: 3, ...options.streaming },
  });
  const handle = await startTelegram({
    config: { config, home: dir, workspace: dir, baseUrl: "http://127.0.0.1:1/v1" },
    agent,
    sessions,
    log: logs.push,
    kv,
    inbox: options.inbox,
    restartDelayMs: 20,
    typingIntervalMs: options.typingIntervalMs,
    crashOnText: options.crashOnText,
    crashGenerations: options.crashGenerations,
  });
  // The first start of a worker in a test run type-checks it, which takes a while on a busy machine.
  if (options.waitConnected !== false) await logs.waitFor("connected as", 1, 60_000);
  let disposed = false;
  return {
    api,
    agent,
    sessions,
    logs,
    handle,
    kv,
    async [Symbol.asyncDispose]() {
      // Restart tests stop a harness early; the `await using` at the end is then a no-op.
      if (disposed) return;
      disposed = true;
      await handle.stop();
      if (!options.api) await api.close();
      kv.close();
      if (!options.dir) await Deno.remove(dir, { recursive: true });
    },
  };
}
