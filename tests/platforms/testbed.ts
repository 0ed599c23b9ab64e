/**
 * One face over the three platform harnesses, for behaviours every chat platform shares: a user's
 * direct message in, the bot's messages (text, edits, notification) out, and a rate limit on the
 * next edit — each against the platform's own fake API (tests/fakes/), through the real worker.
 * @module
 */
import { floodError } from "../fakes/fake_bot_api.ts";
import { type Logs, type Script, type ScriptedAgent, startHarness } from "./harness.ts";
import { startDiscordHarness } from "./discord/harness.ts";
import { startSlackHarness } from "./slack/harness.ts";

/** The chat platforms. */
export const PLATFORMS = ["telegram", "discord", "slack"] as const;

/** A chat platform's name. */
export type PlatformName = (typeof PLATFORMS)[number];

/**
 * Where a test talks to the bot: its DM, or a group conversation inside a larger space — a forum
 * topic of a Telegram supergroup, a Discord thread (a channel of its own in a server), a Slack
 * channel whose mention the bot answers in a thread.
 */
export type Where = "dm" | "group";

/** A message the bot sent, as the user sees it now. */
export interface BotMessage {
  text: string;
  /** How many times it was edited. */
  edits: number;
  /** Sent without a notification (Slack has no such thing: always false). */
  silent: boolean;
  /** In a group: the topic, channel or thread it went to (Telegram, Discord, Slack). */
  place?: string;
  /** The user message it quotes or references (Slack has no quoting). */
  replyTo?: string;
}

/** A user's message as sent: its id, and in a group the place the whole reply belongs in. */
export interface SentMessage {
  id: string;
  place?: string;
}

/** A send or an edit of a bot message, with when it reached the fake. */
export interface MessageCall {
  kind: "send" | "edit";
  at: number;
}

/** A running platform adapter, seen the same way whatever the platform. */
export interface Testbed {
  platform: PlatformName;
  agent: ScriptedAgent;
  logs: Logs;
  /** A user's message to the bot, in its DM (default) or in a group, mentioning the bot. */
  send(text: string, where?: Where): SentMessage;
  /** The bot's messages in the DM or anywhere in the group space, oldest first. */
  messages(where?: Where): BotMessage[];
  /** The bot's message sends and edits, oldest first. */
  messageCalls(): MessageCall[];
  /** Makes the next edit answer with the platform's rate limit (429) for `seconds`. */
  rateLimitNextEdit(seconds: number): void;
  /** Resolves when `predicate` holds (checked after every call to the fake). */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What a test sets: the platform's own section (`tool_progress`…) and `streaming`. */
export interface TestbedOptions {
  settings?: Record<string, unknown>;
  streaming?: Record<string, unknown>;
}

/** The Telegram supergroup of group tests. */
const GROUP_CHAT = -100;
/** The Slack methods that send or change a bot message. */
const SLACK_SENDS = ["chat.postMessage", "chat.startStream"];
const SLACK_EDITS = ["chat.update", "chat.appendStream", "chat.stopStream"];

/** Starts `platform`'s adapter against its fake API, running `script` for every turn. */
export async function startTestbed(
  platform: PlatformName,
  script: Script,
  options: TestbedOptions = {},
): Promise<Testbed> {
  const { settings, streaming } = options;
  switch (platform) {
    case "telegram": {
      const h = await startHarness(script, { telegram: settings, streaming });
      return {
        platform,
        agent: h.agent,
        logs: h.logs,
        send: (text, where = "dm") => {
          if (where === "dm") return { id: String(h.api.sendUserMessage({ text })) };
          const id = h.api.sendUserMessage({
            chatId: GROUP_CHAT,
            chatType: "supergroup",
            threadId: 5,
            text: `@herald_test_bot ${text}`,
          });
          return { id: String(id), place: "5" };
        },
        messages: (where = "dm") =>
          h.api.chatMessages(where === "dm" ? 1 : GROUP_CHAT).map((m) => ({
            text: m.text,
            edits: m.edits,
            silent: m.silent === true,
            place: m.threadId === undefined ? undefined : String(m.threadId),
            replyTo: m.replyTo === undefined ? undefined : String(m.replyTo),
          })),
        messageCalls: () =>
          messageCalls(
            h.api.calls,
            (c) =>
              c.method === "sendMessage"
                ? "send"
                : c.method === "editMessageText"
                ? "edit"
                : undefined,
          ),
        rateLimitNextEdit: (seconds) => h.api.failNext("editMessageText", floodError(seconds)),
        waitFor: (predicate, timeoutMs) =>
          h.api.waitFor(predicate, timeoutMs, () => seen(h.api.calls, h.logs.lines)),
        [Symbol.asyncDispose]: () => h[Symbol.asyncDispose](),
      };
    }
    case "discord": {
      const h = await startDiscordHarness(script, { discord: settings, streaming });
      return {
        platform,
        agent: h.agent,
        logs: h.logs,
        send: (content, where = "dm") =>
          where === "dm" ? { id: h.discord.sendMessage({ content }) } : {
            id: h.discord.sendMessage({ content, channelId: "T1", guildId: "G1", mention: true }),
            place: "T1",
          },
        messages: (where = "dm") =>
          h.discord.allMessages().filter((m) => (m.channelId === "D1") === (where === "dm"))
            .map((m) => ({
              text: m.content,
              edits: m.edits,
              silent: ((m.flags ?? 0) & 4096) !== 0,
              place: m.channelId,
              replyTo: m.replyTo,
            })),
        messageCalls: () =>
          messageCalls(
            h.discord.calls,
            (c) =>
              !/^\/channels\/\w+\/messages/.test(c.path)
                ? undefined
                : c.method === "POST"
                ? "send"
                : c.method === "PATCH"
                ? "edit"
                : undefined,
          ),
        rateLimitNextEdit: (seconds) => h.discord.rateLimitNext("PATCH", seconds),
        waitFor: (predicate, timeoutMs) =>
          h.discord.waitFor(predicate, timeoutMs, () => seen(h.discord.calls, h.logs.lines)),
        [Symbol.asyncDispose]: () => h[Symbol.asyncDispose](),
      };
    }
    case "slack": {
      const h = await startSlackHarness(script, { slack: settings, streaming });
      return {
        platform,
        agent: h.agent,
        logs: h.logs,
        send: (text, where = "dm") => {
          if (where === "dm") return { id: h.slack.sendMessage({ text }) };
          const ts = h.slack.sendMessage({ channel: "C1", text, mention: true });
          return { id: ts, place: ts };
        },
        messages: (where = "dm") =>
          h.slack.messages(where === "dm" ? "D1" : "C1").map((m) => ({
            text: m.text,
            edits: m.edits,
            silent: false,
            place: m.threadTs,
          })),
        messageCalls: () =>
          messageCalls(
            h.slack.calls,
            (c) =>
              SLACK_SENDS.includes(c.method)
                ? "send"
                : SLACK_EDITS.includes(c.method)
                ? "edit"
                : undefined,
          ),
        rateLimitNextEdit: (seconds) =>
          h.slack.failNext("chat.update", { status: 429, retryAfter: seconds }),
        waitFor: (predicate, timeoutMs) =>
          h.slack.waitFor(predicate, timeoutMs, () => seen(h.slack.calls, h.logs.lines)),
        [Symbol.asyncDispose]: () => h[Symbol.asyncDispose](),
      };
    }
  }
}

/** What a fake was sent and what the bot logged, for a timed-out wait's message. */
function seen(calls: unknown[], logs: string[]): string {
  return `calls:\n${calls.map((c) => JSON.stringify(c)).join("\n")}\nlog:\n${logs.join("\n")}`;
}

/** A fake's recorded calls as message sends and edits; other calls are left out. */
function messageCalls<T extends { at: number }>(
  calls: T[],
  kindOf: (call: T) => MessageCall["kind"] | undefined,
): MessageCall[] {
  return calls.flatMap((call) => {
    const kind = kindOf(call);
    return kind ? [{ kind, at: call.at }] : [];
  });
}
