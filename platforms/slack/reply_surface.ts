/**
 * The message calls a Slack reply is made of, all in the reply's one thread (replyThreadOf: the
 * editor's per-message `replyTo` is not used, so a split reply stays together). In a thread, a
 * preview uses Slack's message streaming (`chat.startStream`, `chat.appendStream`,
 * `chat.stopStream`) where the workspace has it; an `unknown_method`-style answer means it does
 * not, and from then on previews are posted and edited with `chat.postMessage` / `chat.update`.
 * The stream editor spaces every one of these calls by the edit interval. Markdown becomes mrkdwn
 * here (streams take Markdown as it is).
 * @module
 */
import { CURSOR, type MessageId, type ReplySurface } from "../stream_editor.ts";
import { escapeMrkdwn, markdownToMrkdwn } from "./mrkdwn.ts";
import { SlackApiError, type SlackWebApi, UNKNOWN_METHOD_ERRORS } from "./web_api.ts";

/** Where a message came from and where its reply goes. */
export interface SlackOrigin {
  channel: string;
  /** The thread the message was in: every reply message goes there. */
  threadTs?: string;
  /**
   * A channel message outside a thread, set when reply_to_mode is not off: the reply starts a
   * thread under it.
   */
  messageTs?: string;
  user: string;
  teamId: string;
  sessionKey: string;
  updateId: string;
  /** Answers only the user sees (slash commands). */
  ephemeral?: boolean;
}

/** Whether the workspace has the streaming methods; shared by every reply of the worker. */
export interface StreamSupport {
  available: boolean | undefined;
}

/** One turn's Slack message calls. */
export class SlackReplySurface implements ReplySurface {
  #api: SlackWebApi;
  #origin: SlackOrigin;
  #support: StreamSupport;
  #log: (line: string) => void;
  /** Streams open in this reply: their ts and the Markdown appended so far. */
  #streams = new Map<MessageId, string>();

  constructor(
    api: SlackWebApi,
    origin: SlackOrigin,
    support: StreamSupport,
    log: (line: string) => void,
  ) {
    this.#api = api;
    this.#origin = origin;
    this.#support = support;
    this.#log = log;
  }

  async send(
    text: string,
    options: { formatted: boolean; preview?: boolean },
  ): Promise<MessageId> {
    const { channel } = this.#origin;
    const threadTs = replyThreadOf(this.#origin);
    if (options.preview && threadTs && this.#support.available !== false) {
      const markdown = stripCursor(text);
      try {
        const { ts } = await this.#api.call<{ ts: string }>("chat.startStream", {
          channel,
          thread_ts: threadTs,
          markdown_text: markdown,
          recipient_user_id: this.#origin.user,
          recipient_team_id: this.#origin.teamId,
        });
        this.#support.available = true;
        this.#streams.set(ts, markdown);
        return ts;
      } catch (error) {
        if (!(error instanceof SlackApiError) || !UNKNOWN_METHOD_ERRORS.has(error.code)) {
          throw error;
        }
        this.#support.available = false;
        this.#log(
          `Slack: this workspace has no message streaming (${error.code}); ` +
            "replies are shown with chat.update instead.",
        );
      }
    }
    const { ts } = await this.#api.call<{ ts: string }>("chat.postMessage", {
      channel,
      thread_ts: threadTs,
      text: options.formatted ? markdownToMrkdwn(text) : escapeMrkdwn(text),
      unfurl_links: false,
    }, { retry: options.formatted });
    return ts;
  }

  async edit(
    messageId: MessageId,
    text: string,
    options: { formatted: boolean; final?: boolean },
  ): Promise<void> {
    const { channel } = this.#origin;
    const appended = this.#streams.get(messageId);
    if (appended !== undefined) {
      const markdown = stripCursor(text);
      const rest = markdown.startsWith(appended) ? markdown.slice(appended.length) : undefined;
      if (options.final) {
        this.#streams.delete(messageId);
        await this.#api.call("chat.stopStream", {
          channel,
          ts: messageId,
          ...(rest ? { markdown_text: rest } : {}),
        }, { retry: true });
        // A stream only grows: text that no longer extends it is sent by the editor instead.
        if (rest === undefined) throw new Error("the streamed text cannot be replaced");
        return;
      }
      if (rest === undefined) throw new Error("the streamed text cannot be replaced");
      if (rest === "") return;
      await this.#api.call("chat.appendStream", { channel, ts: messageId, markdown_text: rest });
      this.#streams.set(messageId, markdown);
      return;
    }
    await this.#api.call("chat.update", {
      channel,
      ts: messageId,
      text: options.formatted ? markdownToMrkdwn(text) : escapeMrkdwn(text),
    }, { retry: options.final === true });
  }
}

/**
 * The thread every message of a reply goes into: the thread the user's message was in, or the one
 * the reply starts under it (reply_to_mode first or all); none for DMs and with reply_to_mode off.
 * A reply split into several messages, or continued after a tool call, stays in that one thread.
 */
export function replyThreadOf(
  origin: Pick<SlackOrigin, "threadTs" | "messageTs">,
): string | undefined {
  return origin.threadTs ?? origin.messageTs;
}

function stripCursor(text: string): string {
  return text.endsWith(CURSOR) ? text.slice(0, -CURSOR.length) : text;
}
