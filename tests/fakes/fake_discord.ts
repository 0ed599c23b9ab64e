/**
 * A fake Discord for tests, as a real server on 127.0.0.1: the REST routes Herald calls (`/v10/…`:
 * users/@me, applications/@me, gateway/bot, commands, messages, typing, interaction callbacks) and
 * a Gateway WebSocket that says hello, checks identify, answers heartbeats, sends READY and
 * dispatches MESSAGE_CREATE and INTERACTION_CREATE.
 * @module
 */
import { FakePlatformServer } from "./fake_platform_server.ts";

/** A recorded REST call. */
export interface DiscordCall {
  method: string;
  path: string;
  // deno-lint-ignore no-explicit-any
  body: any;
  at: number;
}

/** A message as the channel shows it now. */
export interface DiscordMessage {
  id: string;
  channelId: string;
  content: string;
  replyTo?: string;
  /** Message flags as sent (4096: without a notification). */
  flags?: number;
  edits: number;
  /** Message components (action rows of buttons), as last sent or edited. */
  // deno-lint-ignore no-explicit-any
  components?: any[];
  /** Components as first sent (a client that has not refreshed still shows them). */
  // deno-lint-ignore no-explicit-any
  sentComponents?: any[];
}

/**
 * The fake Discord.
 *
 * @example
 * ```ts
 * await using discord = new FakeDiscord();
 * discord.sendMessage({ content: "hi" });
 * ```
 */
export class FakeDiscord extends FakePlatformServer {
  readonly token = "discord-test-token";
  readonly botId = "900";
  readonly appId = "800";
  readonly calls: DiscordCall[] = [];
  /** Gateway payloads the client sent (identify, heartbeats). */
  readonly gatewayOps: number[] = [];
  #messages = new Map<string, DiscordMessage>();
  #files = new Map<string, { bytes: Uint8Array; type: string }>();
  #failures = new Map<string, number[]>();
  #nextId = 1000;
  #seq = 0;

  constructor() {
    super("FakeDiscord");
  }

  /** The REST API root (discord.api_root). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** REST calls whose method and path match. */
  callsOf(method: string, path: RegExp): DiscordCall[] {
    return this.calls.filter((c) => c.method === method && path.test(c.path));
  }

  /** Messages the bot sent in a channel, oldest first. */
  messages(channelId = "D1"): DiscordMessage[] {
    return [...this.#messages.values()].filter((m) => m.channelId === channelId);
  }

  /** Messages the bot sent in every channel, oldest first. */
  allMessages(): DiscordMessage[] {
    return [...this.#messages.values()];
  }

  /** Serves a file as an attachment URL on this server (Discord's CDN in real life). */
  addAttachment(name: string, bytes: Uint8Array, type: string): string {
    this.#files.set(name, { bytes, type });
    return `http://127.0.0.1:${this.port}/attachments/${name}`;
  }

  /** Makes the next `times` REST calls with `method` (e.g. PATCH) answer 429 with retry_after. */
  rateLimitNext(method: string, retryAfterSeconds: number, times = 1): void {
    const list = this.#failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(retryAfterSeconds);
    this.#failures.set(method, list);
  }

  /** A user's message, dispatched as MESSAGE_CREATE; returns its id. */
  sendMessage(options: {
    content: string;
    userId?: string;
    username?: string;
    channelId?: string;
    guildId?: string;
    mention?: boolean;
    replyToBot?: boolean;
    attachments?: { url: string; content_type: string; filename: string; size: number }[];
  }): string {
    const id = String(++this.#nextId);
    const mention = options.mention ? `<@${this.botId}> ` : "";
    this.#dispatch("MESSAGE_CREATE", {
      id,
      channel_id: options.channelId ?? "D1",
      ...(options.guildId ? { guild_id: options.guildId } : {}),
      author: { id: options.userId ?? "42", username: options.username ?? "alice", bot: false },
      content: mention + options.content,
      mentions: options.mention ? [{ id: this.botId, username: "herald" }] : [],
      attachments: options.attachments ?? [],
      ...(options.replyToBot
        ? { referenced_message: { id: "1", author: { id: this.botId, username: "herald" } } }
        : {}),
      type: 0,
    });
    return id;
  }

  /** The buttons of a message (label and custom_id), as the channel shows it now. */
  buttons(messageId: string, asSent = false): { label: string; customId: string }[] {
    const message = this.#messages.get(messageId);
    const rows = (asSent ? message?.sentComponents : message?.components) ?? [];
    return rows.flatMap((row) => row?.components ?? [])
      .filter((c: { type?: number }) => c.type === 2)
      .map((c: { label: string; custom_id: string }) => ({
        label: c.label,
        customId: c.custom_id,
      }));
  }

  /**
   * A press of a message's button (as first sent), dispatched as INTERACTION_CREATE of type 3
   * (message component). Returns the interaction id.
   */
  pressButton(messageId: string, label: string, options: { userId?: string } = {}): string {
    const message = this.#messages.get(messageId);
    const button = this.buttons(messageId, true).find((b) => b.label === label);
    if (!message || !button) throw new Error(`FakeDiscord: no button "${label}" on ${messageId}`);
    const id = String(++this.#nextId);
    this.#dispatch("INTERACTION_CREATE", {
      id,
      application_id: this.appId,
      type: 3,
      token: `itoken-${id}`,
      channel_id: message.channelId,
      user: { id: options.userId ?? "42", username: options.userId ? "mallory" : "alice" },
      message: { id: message.id, channel_id: message.channelId, content: message.content },
      data: { custom_id: button.customId, component_type: 2 },
    });
    return id;
  }

  /** A slash command, dispatched as INTERACTION_CREATE. Returns the interaction id. */
  slashCommand(name: string, options: { userId?: string; channelId?: string } = {}): string {
    const id = String(++this.#nextId);
    const user = { id: options.userId ?? "42", username: "alice" };
    this.#dispatch("INTERACTION_CREATE", {
      id,
      application_id: this.appId,
      type: 2,
      token: `itoken-${id}`,
      channel_id: options.channelId ?? "D1",
      user,
      data: { id: "cmd", name, type: 1 },
    });
    return id;
  }

  #dispatch(t: string, d: unknown): void {
    const payload = JSON.stringify({ op: 0, t, s: ++this.#seq, d });
    for (const ws of this.sockets) ws.send(payload);
  }

  protected handle(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/gateway") return this.#gateway(req);
    const file = this.#files.get(url.pathname.replace("/attachments/", ""));
    if (file) return new Response(file.bytes.slice(), { headers: { "content-type": file.type } });
    const path = url.pathname.match(/^\/api\/v10(\/.*)$/)?.[1];
    if (!path) return new Response("not found", { status: 404 });
    return this.#rest(req, path);
  }

  #gateway(req: Request): Response {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () => {
      socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }));
    };
    socket.onmessage = (event) => {
      const { op, d } = JSON.parse(String(event.data));
      this.gatewayOps.push(op);
      if (op === 1) socket.send(JSON.stringify({ op: 11 }));
      if (op === 2) {
        if (d?.token !== this.token) {
          socket.close(4004, "Authentication failed.");
          return;
        }
        this.sockets.add(socket);
        socket.send(JSON.stringify({
          op: 0,
          t: "READY",
          s: ++this.#seq,
          d: {
            v: 10,
            user: { id: this.botId, username: "herald", bot: true },
            session_id: "session-1",
            resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
            guilds: [],
            application: { id: this.appId, flags: 0 },
          },
        }));
      }
      if (op === 6) {
        this.sockets.add(socket);
        socket.send(JSON.stringify({ op: 0, t: "RESUMED", s: ++this.#seq, d: null }));
      }
      this.notify();
    };
    socket.onclose = () => {
      this.sockets.delete(socket);
      this.notify();
    };
    socket.onerror = () => {};
    return response;
  }

  async #rest(req: Request, path: string): Promise<Response> {
    const text = await req.text();
    const body = text ? JSON.parse(text) : undefined;
    this.calls.push({ method: req.method, path, body, at: Date.now() });
    try {
      // Interaction callbacks and follow-ups are authorised by the interaction's token.
      const tokenAuthorised = /^\/(interactions|webhooks)\//.test(path);
      if (!tokenAuthorised && req.headers.get("authorization") !== `Bot ${this.token}`) {
        return Response.json({ message: "401: Unauthorized", code: 0 }, { status: 401 });
      }
      const retryAfter = this.#failures.get(req.method)?.shift();
      if (retryAfter !== undefined) {
        return Response.json(
          { message: "You are being rate limited.", retry_after: retryAfter, global: false },
          {
            status: 429,
            headers: {
              "retry-after": String(retryAfter),
              "x-ratelimit-scope": "user",
              "x-ratelimit-limit": "5",
              "x-ratelimit-remaining": "0",
              "x-ratelimit-reset-after": String(retryAfter),
              "x-ratelimit-bucket": "fake-bucket",
            },
          },
        );
      }
      return this.#route(req.method, path, body);
    } finally {
      this.notify();
    }
  }

  // deno-lint-ignore no-explicit-any
  #route(method: string, path: string, body: any): Response {
    const send = (value: unknown) => Response.json(value);
    if (method === "GET" && path === "/users/@me") {
      return send({ id: this.botId, username: "herald", discriminator: "0", bot: true });
    }
    if (method === "GET" && path === "/applications/@me") return send({ id: this.appId });
    if (method === "GET" && path === "/gateway/bot") {
      return send({
        url: `ws://127.0.0.1:${this.port}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (method === "PUT" && path === `/applications/${this.appId}/commands`) return send(body);
    if (method === "POST" && /^\/channels\/\w+\/typing$/.test(path)) {
      return new Response(null, { status: 204 });
    }
    const create = path.match(/^\/channels\/(\w+)\/messages$/);
    if (method === "POST" && create) {
      const content = String(body?.content ?? "");
      if (content === "" || content.length > 2000) {
        return Response.json({ message: "Invalid Form Body", code: 50035 }, { status: 400 });
      }
      // Only SUPPRESS_EMBEDS (4) and SUPPRESS_NOTIFICATIONS (4096) may be set when sending.
      if (body?.flags !== undefined && (body.flags & ~(4 | 4096)) !== 0) {
        return Response.json({ message: "Invalid Form Body", code: 50035 }, { status: 400 });
      }
      const id = String(++this.#nextId);
      this.#messages.set(id, {
        id,
        channelId: create[1],
        content,
        replyTo: body?.message_reference?.message_id,
        ...(body?.flags !== undefined ? { flags: body.flags } : {}),
        edits: 0,
        ...(Array.isArray(body?.components)
          ? { components: body.components, sentComponents: body.components }
          : {}),
      });
      return send({ id, channel_id: create[1], content });
    }
    const edit = path.match(/^\/channels\/(\w+)\/messages\/(\w+)$/);
    if (method === "PATCH" && edit) {
      const message = this.#messages.get(edit[2]);
      if (!message) {
        return Response.json({ message: "Unknown Message", code: 10008 }, { status: 404 });
      }
      const content = String(body?.content ?? "");
      if (content.length > 2000) {
        return Response.json({ message: "Invalid Form Body", code: 50035 }, { status: 400 });
      }
      message.content = content;
      if (Array.isArray(body?.components)) message.components = body.components;
      message.edits++;
      return send({ id: message.id, channel_id: message.channelId, content });
    }
    if (method === "POST" && /^\/interactions\/\w+\/[\w-]+\/callback$/.test(path)) {
      return new Response(null, { status: 204 });
    }
    if (method === "POST" && /^\/webhooks\/\w+\/[\w-]+$/.test(path)) {
      return send({ id: String(++this.#nextId), content: body?.content });
    }
    if (method === "PATCH" && /^\/webhooks\/\w+\/[\w-]+\/messages\/@original$/.test(path)) {
      return send({ id: "orig", content: body?.content });
    }
    return Response.json({ message: "404: Not Found", code: 0 }, { status: 404 });
  }
}
