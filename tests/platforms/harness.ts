/**
 * Test harness for the platform adapters: a scripted agent, scripts and their events, awaitable
 * logs, and one way to start any platform's real worker through the host with a real
 * SessionStore on a KV file in a temp dir (startWorkerHarness); the Telegram adapter against the
 * fake Bot API here, Discord and Slack in their folders.
 * @module
 */
import type { AgentEvent, AgentTurn, TurnResult } from "../../agent/mod.ts";
import { type ChatMessage, emptyUsage } from "../../agent/mod.ts";
import { ConfigSchema, type ResolvedConfig } from "../../config/mod.ts";
import {
  type PlatformHandle,
  type PlatformSpec,
  startPlatform,
  telegramSpec,
  type UpdateInbox,
} from "../../platforms/mod.ts";
import { SessionStore } from "../../store/mod.ts";
import { CONDITION_TIMEOUT_MS, Conditions } from "../fakes/conditions.ts";
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

/** `streaming.min_tokens` in the harnesses: words before the first preview message. */
export const HARNESS_MIN_TOKENS = 3;

/**
 * A script that streams `parts`, waiting after each until `calls()` grows, so every part reaches
 * the platform as its own update however slow the machine. Parts before the first preview can
 * show (fewer than {@link HARNESS_MIN_TOKENS} words so far) are not waited on: no call follows
 * them. The wait is bounded only against a hang.
 */
export function paced(parts: string[], calls: () => number): Script {
  return async function* () {
    let text = "";
    for (const part of parts) {
      const before = calls();
      yield* deltas(part);
      text += part;
      const words = deltas(text).length;
      if (Math.max(words, Math.ceil(text.length / 4)) < HARNESS_MIN_TOKENS) continue;
      const deadline = Date.now() + CONDITION_TIMEOUT_MS;
      while (calls() === before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    yield final(parts.join(""));
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
  #conditions = new Conditions("Logs");

  push = (line: string): void => {
    this.lines.push(line);
    this.#conditions.notify();
  };

  /** Resolves once `count` lines contain `text`. */
  waitFor(text: string, count = 1, timeoutMs = CONDITION_TIMEOUT_MS): Promise<void> {
    return this.#conditions.waitFor(
      () => this.lines.filter((l) => l.includes(text)).length >= count,
      timeoutMs,
      () => `no ${count} log line(s) with "${text}" in:\n${this.lines.join("\n")}`,
    );
  }
}

/** What every platform harness lets a test set. */
export interface CommonHarnessOptions {
  streaming?: Record<string, unknown>;
  crashOnText?: string;
  crashGenerations?: number;
  typingIntervalMs?: number;
  /** Wait for "connected as" before returning; default true. */
  waitConnected?: boolean;
}

/** A running platform adapter: the real worker under the host, a scripted agent, real KV. */
export interface WorkerHarness {
  agent: ScriptedAgent;
  sessions: SessionStore<ChatMessage>;
  logs: Logs;
  handle: PlatformHandle;
  kv: Deno.Kv;
  /** Stops the adapter, closes what the harness owns; a second call does nothing. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts one platform's adapter through the platform host, with `config` (the platform's section
 * and any other keys; streaming made fast for tests), and waits until it is connected.
 */
export async function startWorkerHarness(
  script: Script,
  setup: {
    /** The platform's spec from the resolved config (the adapter's own `*Spec`). */
    spec: (resolved: ResolvedConfig) => PlatformSpec | Promise<PlatformSpec>;
    config: Record<string, unknown>;
    /** Closes the fake API when the harness owns it. */
    closeFake?: () => Promise<void>;
    /** A directory holding the KV file to use and keep (restart tests); default a new temp dir. */
    dir?: string;
    inbox?: UpdateInbox;
  },
  options: CommonHarnessOptions = {},
): Promise<WorkerHarness> {
  const dir = setup.dir ?? await Deno.makeTempDir({ prefix: "herald-platform-" });
  const kv = await Deno.openKv(`${dir}/herald.kv`);
  const sessions = new SessionStore<ChatMessage>(kv);
  const agent = new ScriptedAgent(script);
  const logs = new Logs();
  const config = ConfigSchema.parse({
    ...setup.config,
    streaming: { edit_interval: 0.05, min_tokens: HARNESS_MIN_TOKENS, ...options.streaming },
  });
  const resolved = { config, home: dir, workspace: dir, baseUrl: "http://127.0.0.1:1/v1" };
  const handle = await startPlatform(await setup.spec(resolved), {
    config: resolved,
    agent,
    sessions,
    log: logs.push,
    kv,
    inbox: setup.inbox,
    restartDelayMs: 20,
    typingIntervalMs: options.typingIntervalMs,
    crashOnText: options.crashOnText,
    crashGenerations: options.crashGenerations,
  });
  // The first start of a worker in a test run type-checks it, which takes a while on a busy machine.
  if (options.waitConnected !== false) await logs.waitFor("connected as");
  let disposed = false;
  return {
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
      await setup.closeFake?.();
      kv.close();
      if (!setup.dir) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Settings a test may override. */
export interface HarnessOptions extends CommonHarnessOptions {
  telegram?: Record<string, unknown>;
  inbox?: UpdateInbox;
  /** A fake Bot API to use and leave open (restart tests); default a new one. */
  api?: FakeBotApi;
  /** A directory holding the KV file to use and keep (restart tests); default a new temp dir. */
  dir?: string;
}

/** A running Telegram adapter with its fakes. */
export interface Harness extends WorkerHarness {
  api: FakeBotApi;
}

/** Starts the Telegram adapter against a fresh fake Bot API and waits until it is connected. */
export async function startHarness(script: Script, options: HarnessOptions = {}): Promise<Harness> {
  const api = options.api ?? new FakeBotApi();
  const harness = await startWorkerHarness(script, {
    spec: telegramSpec,
    config: {
      telegram: {
        bot_token: api.token,
        api_root: api.apiRoot,
        allowed_users: ["42"],
        ...options.telegram,
      },
    },
    closeFake: options.api ? undefined : () => api.close(),
    dir: options.dir,
    inbox: options.inbox,
  }, options);
  return Object.assign(harness, { api });
}
