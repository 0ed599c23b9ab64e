/**
 * A fake Slack for tests, as a real server on 127.0.0.1: the Web API methods Herald calls
 * (`auth.test`, `apps.connections.open`, `chat.*`) and a Socket Mode WebSocket that says hello,
 * delivers envelopes and records acknowledgements. Envelopes not acknowledged are delivered again
 * on the next connection, as Slack does.
 * @module
 */
import { FakePlatformServer } from "./fake_platform_server.ts";

/** A recorded Web API call. */
export interface SlackCall {
  method: string;
  // deno-lint-ignore no-explicit-any
  body: Record<string, any>;
  at: number;
}

/** A message as the channel shows it now. */
export interface SlackMessage {
  ts: string;
  channel: string;
  threadTs?: string;
  text: string;
  /** How many times chat.update changed it. */
  edits: number;
  /** Posted with chat.startStream and not yet stopped. */
  streaming: boolean;
  /** Block Kit blocks, as last posted or updated. */
  // deno-lint-ignore no-explicit-any
  blocks?: any[];
  /** Block Kit blocks as first posted (a client that has not refreshed still shows them). */
  // deno-lint-ignore no-explicit-any
  sentBlocks?: any[];
}

/** A button of a message's `actions` blocks. */
export interface SlackButton {
  text: string;
  actionId: string;
  value?: string;
}

/** A failure to inject into the next call of a method. */
export type SlackFailure = { status: 429; retryAfter: number } | { error: string };

interface Envelope {
  envelope_id: string;
  type: string;
  payload: unknown;
  retry_attempt: number;
}

/**
 * The fake Slack.
 *
 * @example
 * ```ts
 * await using slack = new FakeSlack();
 * slack.sendMessage({ text: "hi" });
 * await slack.waitFor(() => slack.messages().length === 1);
 * ```
 */
export class FakeSlack extends FakePlatformServer {
  readonly botToken = "xoxb-test-bot";
  readonly appToken = "xapp-test-app";
  readonly botUserId = "UBOT";
  readonly calls: SlackCall[] = [];
  /** Whether the workspace has chat.startStream and friends. */
  streamingMethods = true;
  /** Envelope ids the client acknowledged. */
  readonly acks: string[] = [];
  #messages = new Map<string, SlackMessage>();
  #failures = new Map<string, SlackFailure[]>();
  #pending: Envelope[] = [];
  #clock = 1_700_000_000;
  #nextEnvelope = 0;
  #nextEvent = 0;

  constructor() {
    super("FakeSlack");
  }

  /** The Web API root (slack.api_root). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** Open Socket Mode connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Calls of one method. */
  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Messages in a channel, oldest first. */
  messages(channel = "D1"): SlackMessage[] {
    return [...this.#messages.values()].filter((m) => m.channel === channel);
  }

  /** Makes the next `times` calls of `method` fail. */
  failNext(method: string, failure: SlackFailure, times = 1): void {
    const list = this.#failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.#failures.set(method, list);
  }

  /** A user's message, delivered as an events_api envelope; returns its ts. */
  sendMessage(options: {
    text: string;
    user?: string;
    channel?: string;
    channelType?: "im" | "channel";
    threadTs?: string;
    mention?: boolean;
  }): string {
    const ts = this.#ts();
    const channel = options.channel ?? "D1";
    const channelType = options.channelType ?? (channel.startsWith("D") ? "im" : "channel");
    const text = options.mention ? `<@${this.botUserId}> ${options.text}` : options.text;
    const event = {
      type: "message",
      channel,
      channel_type: channelType,
      user: options.user ?? "U42",
      text,
      ts,
      ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
    };
    this.#deliver("events_api", this.#callback(event));
    if (options.mention) {
      this.#deliver("events_api", this.#callback({ ...event, type: "app_mention" }));
    }
    return ts;
  }

  /** A slash command, delivered as a slash_commands envelope. */
  slashCommand(command: string, options: { user?: string; channel?: string } = {}): void {
    this.#deliver("slash_commands", {
      command,
      text: "",
      user_id: options.user ?? "U42",
      channel_id: options.channel ?? "D1",
      trigger_id: `trigger-${++this.#nextEvent}`,
    });
  }

  /** The buttons of a message's `actions` blocks, as the channel shows it now. */
  buttons(ts: string, asSent = false): SlackButton[] {
    const message = this.#messages.get(ts);
    const blocks = (asSent ? message?.sentBlocks : message?.blocks) ?? [];
    return blocks.filter((b) => b?.type === "actions").flatMap((b) => b.elements ?? [])
      .filter((e: { type?: string }) => e.type === "button")
      .map((e: { text: { text: string }; action_id: string; value?: string }) => ({
        text: e.text.text,
        actionId: e.action_id,
        value: e.value,
      }));
  }

  /**
   * A press of a message's button (as first posted: the press may come from a client that still
   * shows it), delivered as an interactive (block_actions) envelope.
   */
  pressButton(ts: string, label: string, options: { user?: string } = {}): void {
    const message = this.#messages.get(ts);
    const button = this.buttons(ts, true).find((b) => b.text === label);
    if (!message || !button) throw new Error(`FakeSlack: no button "${label}" on message ${ts}`);
    this.#deliver("interactive", {
      type: "block_actions",
      trigger_id: `trigger-${++this.#nextEvent}`,
      team: { id: "T1" },
      user: { id: options.user ?? "U42", team_id: "T1" },
      channel: { id: message.channel },
      container: { type: "message", message_ts: ts, channel_id: message.channel },
      message: {
        type: "message",
        ts,
        text: message.text,
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      },
      actions: [{
        type: "button",
        action_id: button.actionId,
        block_id: "b",
        value: button.value,
        action_ts: this.#ts(),
      }],
    });
  }

  #callback(event: Record<string, unknown>) {
    return {
      type: "event_callback",
      team_id: "T1",
      event_id: `Ev${String(++this.#nextEvent).padStart(4, "0")}`,
      event,
    };
  }

  #deliver(type: string, payload: unknown): void {
    const envelope = {
      envelope_id: `env-${++this.#nextEnvelope}`,
      type,
      payload,
      retry_attempt: 0,
    };
    this.#pending.push(envelope);
    for (const ws of this.sockets) this.#send(ws, envelope);
  }

  #send(ws: WebSocket, envelope: Envelope): void {
    ws.send(JSON.stringify(envelope));
    envelope.retry_attempt++;
  }

  #ts(): string {
    return `${++this.#clock}.000100`;
  }

  protected handle(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/socket") return this.#socket(req);
    const method = url.pathname.match(/^\/api\/(.+)$/)?.[1];
    if (!method) return new Response("not found", { status: 404 });
    return this.#api(method, req);
  }

  #socket(req: Request): Response {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () => {
      this.sockets.add(socket);
      socket.send(JSON.stringify({ type: "hello", num_connections: this.sockets.size }));
      // Slack delivers unacknowledged envelopes (again) on the next connection.
      for (const envelope of this.#pending) this.#send(socket, envelope);
      this.notify();
    };
    socket.onmessage = (event) => {
      const { envelope_id } = JSON.parse(String(event.data));
      this.acks.push(envelope_id);
      this.#pending = this.#pending.filter((e) => e.envelope_id !== envelope_id);
      this.notify();
    };
    socket.onclose = () => {
      this.sockets.delete(socket);
      this.notify();
    };
    socket.onerror = () => {};
    return response;
  }

  async #api(method: string, req: Request): Promise<Response> {
    // deno-lint-ignore no-explicit-any
    const body: Record<string, any> = await req.json().catch(() => ({}));
    const token = req.headers.get("authorization")?.replace(/^Bearer /, "");
    this.calls.push({ method, body, at: Date.now() });
    try {
      const failure = this.#failures.get(method)?.shift();
      if (failure && "status" in failure) {
        return new Response('{"ok":false,"error":"ratelimited"}', {
          status: 429,
          headers: { "retry-after": String(failure.retryAfter) },
        });
      }
      if (failure) return Response.json({ ok: false, error: failure.error });
      if (method === "apps.connections.open") {
        if (token !== this.appToken) return Response.json({ ok: false, error: "invalid_auth" });
        const port = this.port;
        return Response.json({ ok: true, url: `ws://127.0.0.1:${port}/socket?ticket=t` });
      }
      if (token !== this.botToken) return Response.json({ ok: false, error: "invalid_auth" });
      return Response.json(this.#method(method, body));
    } finally {
      this.notify();
    }
  }

  // deno-lint-ignore no-explicit-any
  #method(method: string, body: Record<string, any>): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return { ok: true, user_id: this.botUserId, user: "herald", team: "Test", team_id: "T1" };
      case "chat.postMessage":
      case "chat.postEphemeral": {
        if (typeof body.text !== "string" || body.text === "") {
          return { ok: false, error: "no_text" };
        }
        if (body.text.length > 40_000) return { ok: false, error: "msg_too_long" };
        const ts = this.#ts();
        if (method === "chat.postMessage") {
          this.#messages.set(ts, {
            ts,
            channel: body.channel,
            threadTs: body.thread_ts,
            text: body.text,
            edits: 0,
            streaming: false,
            ...(Array.isArray(body.blocks) ? { blocks: body.blocks, sentBlocks: body.blocks } : {}),
          });
        }
        return { ok: true, ts, channel: body.channel };
      }
      case "chat.update": {
        const message = this.#messages.get(body.ts);
        if (!message) return { ok: false, error: "message_not_found" };
        message.text = body.text;
        message.edits++;
        if (Array.isArray(body.blocks)) message.blocks = body.blocks;
        return { ok: true, ts: body.ts };
      }
      case "chat.startStream": {
        if (!this.streamingMethods) return { ok: false, error: "unknown_method" };
        if (!body.thread_ts) return { ok: false, error: "invalid_arguments" };
        const ts = this.#ts();
        this.#messages.set(ts, {
          ts,
          channel: body.channel,
          threadTs: body.thread_ts,
          text: body.markdown_text ?? "",
          edits: 0,
          streaming: true,
        });
        return { ok: true, ts, channel: body.channel };
      }
      case "chat.appendStream":
      case "chat.stopStream": {
        if (!this.streamingMethods) return { ok: false, error: "unknown_method" };
        const message = this.#messages.get(body.ts);
        if (!message || !message.streaming) {
          return { ok: false, error: "message_not_in_streaming_state" };
        }
        message.text += body.markdown_text ?? "";
        if (method === "chat.stopStream") message.streaming = false;
        return { ok: true, ts: body.ts };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }
}
