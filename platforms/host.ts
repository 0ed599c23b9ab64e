/**
 * The main-thread side of the Telegram adapter: spawns the worker with narrowed permissions,
 * restarts it with backoff when it dies, runs agent turns for the messages it forwards, and
 * streams each turn's events back over a per-turn MessagePort (the token channel).
 * @module
 */
import type { AgentEvent, AgentTurn, TurnResult } from "../agent/events.ts";
import { type ChatMessage, emptyUsage } from "../agent/messages.ts";
import type { ResolvedConfig } from "../config/schema.ts";
import { allowsNobody } from "./telegram/access.ts";
import {
  type HostMessage,
  type WorkerMessage,
  WorkerMessageSchema,
  type WorkerSettings,
} from "./telegram/protocol.ts";

/** Anything that runs agent turns; the agent's `Agent` class fits. */
export interface AgentLike {
  run(turn: AgentTurn, options: { signal?: AbortSignal }): AsyncGenerator<AgentEvent, unknown>;
}

/** The session history calls the adapter makes; `store/sessions.ts`'s SessionStore fits. */
export interface SessionStoreLike {
  load(sessionId: string): Promise<ChatMessage[]>;
  append(sessionId: string, messages: ChatMessage[]): Promise<void>;
  clear(sessionId: string): Promise<void>;
}

/** What startTelegram needs. */
export interface TelegramOptions {
  config: ResolvedConfig;
  agent: AgentLike;
  sessions: SessionStoreLike;
  log?: (line: string) => void;
  /** The worker entry; default `platforms/telegram/worker.ts`. */
  workerUrl?: URL;
  /** First restart delay in ms, doubled per crash up to a minute; default 1000. */
  restartDelayMs?: number;
  /** Test hook passed to the worker: this exact message text makes it crash once. */
  crashOnText?: string;
}

/** A running Telegram adapter. */
export interface TelegramHandle {
  /** Stops the bot, aborts running turns and terminates the worker. */
  stop(): Promise<void>;
  /** Webhook mode only: the route handler for Telegram's update POSTs. */
  handleWebhook?(req: Request): Promise<Response>;
  /** Webhook mode only: the path the webhook route is served on. */
  webhookPath?: string;
}

const MAX_RESTART_DELAY_MS = 60_000;
/** A worker that lived this long before dying resets the backoff. */
const STABLE_AFTER_MS = 60_000;
const STOP_GRACE_MS = 3000;
const SESSION_PREFIX = "telegram:";

/** The adapter started last in webhook mode, for handleTelegramWebhook. */
let webhookHost: WorkerHost | undefined;

/**
 * Starts the Telegram adapter when `telegram.bot_token` is set.
 *
 * @example
 * ```ts
 * const telegram = await startTelegram({ config, agent, sessions, log: console.error });
 * // …later
 * await telegram.stop();
 * ```
 */
export async function startTelegram(options: TelegramOptions): Promise<TelegramHandle> {
  const host = new WorkerHost(options);
  await host.start();
  return host;
}

/**
 * Serves Telegram's webhook POSTs for the adapter running in webhook mode; 404 when none is.
 * Mount it on the path `TelegramHandle.webhookPath` (the path of `telegram.webhook_url`).
 */
export function handleTelegramWebhook(req: Request): Promise<Response> {
  if (!webhookHost) return Promise.resolve(new Response("Not found", { status: 404 }));
  return webhookHost.handleWebhook(req);
}

/** The secret Telegram sends with webhook calls: the configured one, or one derived from the token. */
export async function webhookSecret(config: ResolvedConfig["config"]): Promise<string> {
  if (config.telegram.webhook_secret) return config.telegram.webhook_secret;
  const data = new TextEncoder().encode(`herald-telegram-webhook:${config.telegram.bot_token}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A turn the host is running or has queued for a session. */
interface SessionState {
  /** Aborts the newest queued or running turn. */
  controller?: AbortController;
  /** Whether a turn's agent is running now. */
  running: boolean;
  /** Turns and commands of one session run one after another. */
  chain: Promise<void>;
}

/**
 * Owns the Telegram worker: spawn, restart, and the agent turns it asks for.
 */
export class WorkerHost implements TelegramHandle {
  #options: TelegramOptions;
  #log: (line: string) => void;
  #worker: Worker | undefined;
  #generation = 0;
  #crashes = 0;
  #startedAt = 0;
  #stopped = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #sessions = new Map<string, SessionState>();
  #stoppedSignal: (() => void) | undefined;
  #secret = "";
  webhookPath?: string;

  constructor(options: TelegramOptions) {
    this.#options = options;
    this.#log = options.log ?? ((line) => console.error(line));
  }

  /** Spawns the worker. */
  async start(): Promise<void> {
    const telegram = this.#options.config.config.telegram;
    if (!telegram.bot_token) {
      throw new Error("Cannot start Telegram: telegram.bot_token (TELEGRAM_BOT_TOKEN) is not set");
    }
    if (
      allowsNobody({
        allowedUsers: telegram.allowed_users,
        allowAllUsers: telegram.allow_all_users,
      })
    ) {
      this.#log(
        "Telegram: no users are allowed yet, so the bot refuses everyone. Set " +
          "TELEGRAM_ALLOWED_USERS=<numeric id or @username>[,…] (a refused user is told their id), " +
          "or TELEGRAM_ALLOW_ALL_USERS=true to let anyone in.",
      );
    }
    if (telegram.webhook_url) {
      this.#secret = await webhookSecret(this.#options.config.config);
      this.webhookPath = new URL(telegram.webhook_url).pathname;
      webhookHost = this;
    }
    this.#spawn();
  }

  /** Stops the bot, aborts running turns and terminates the worker. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (webhookHost === this) webhookHost = undefined;
    clearTimeout(this.#restartTimer);
    for (const state of this.#sessions.values()) state.controller?.abort();
    const worker = this.#worker;
    if (worker) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#stoppedSignal = resolve;
          this.#post({ type: "stop" });
        }),
        new Promise<void>((resolve) => timer = setTimeout(resolve, STOP_GRACE_MS)),
      ]);
      clearTimeout(timer);
      worker.terminate();
      this.#worker = undefined;
    }
    await Promise.all([...this.#sessions.values()].map((s) => s.chain));
  }

  /** Checks Telegram's secret-token header and forwards the update to the worker. */
  async handleWebhook(req: Request): Promise<Response> {
    if (req.method !== "POST") return new Response("Method not allowed", { status: 405 });
    const given = req.headers.get("x-telegram-bot-api-secret-token") ?? "";
    if (!this.#secret || !timingSafeEqual(given, this.#secret)) {
      return new Response("Forbidden", { status: 403 });
    }
    let update: unknown;
    try {
      update = await req.json();
    } catch {
      return new Response("Bad request: the body is not JSON", { status: 400 });
    }
    if (typeof update !== "object" || update === null || Array.isArray(update)) {
      return new Response("Bad request: the body is not an update object", { status: 400 });
    }
    // While the worker restarts, ask Telegram to deliver the update again later.
    if (!this.#worker) return new Response("Restarting", { status: 503 });
    this.#post({ type: "update", update: update as Record<string, unknown> });
    return new Response("ok");
  }

  #spawn(): void {
    const { config } = this.#options.config;
    const url = this.#options.workerUrl ?? new URL("./telegram/worker.ts", import.meta.url);
    const apiHost = new URL(config.telegram.api_root).host;
    const worker = new Worker(url, {
      type: "module",
      name: "telegram",
      deno: {
        // The worker talks to the Bot API host and nothing else. Its own module graph (local
        // files and npm packages) is loaded by Deno's module loader, which needs no read or
        // import permission, so read and import stay off; env is off too (see no_env_shim.ts).
        permissions: {
          net: [apiHost],
          read: false,
          write: false,
          env: false,
          run: false,
          ffi: false,
          sys: false,
          import: false,
        },
      },
    });
    this.#worker = worker;
    this.#startedAt = Date.now();
    worker.onmessage = (event) => this.#onWorkerMessage(worker, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#onWorkerDeath(worker, event.message);
    };
    worker.onmessageerror = () => this.#log("Telegram: a worker message could not be read");
    this.#post({ type: "init", settings: this.#settings() });
  }

  #settings(): WorkerSettings {
    const { config } = this.#options.config;
    const t = config.telegram;
    return {
      token: t.bot_token ?? "",
      apiRoot: t.api_root,
      allowedUsers: t.allowed_users,
      allowAllUsers: t.allow_all_users,
      replyToMode: t.reply_to_mode,
      requireMention: t.require_mention,
      toolProgress: t.tool_progress,
      streaming: {
        enabled: config.streaming.telegram ?? config.streaming.enabled,
        editIntervalMs: config.streaming.edit_interval * 1000,
        minTokens: config.streaming.min_tokens,
      },
      webhook: t.webhook_url ? { url: t.webhook_url, secret: this.#secret } : null,
      generation: this.#generation,
      crashOnText: this.#options.crashOnText,
    };
  }

  #onWorkerDeath(worker: Worker, message: string): void {
    if (worker !== this.#worker) return;
    worker.terminate();
    this.#worker = undefined;
    this.#stoppedSignal?.();
    if (this.#stopped) return;
    // Turns whose replies were rendering in the dead worker can no longer be shown.
    for (const state of this.#sessions.values()) state.controller?.abort();
    if (Date.now() - this.#startedAt > STABLE_AFTER_MS) this.#crashes = 0;
    const base = this.#options.restartDelayMs ?? 1000;
    const delay = Math.min(base * 2 ** this.#crashes, MAX_RESTART_DELAY_MS);
    this.#crashes++;
    this.#log(`Telegram: the worker died (${message}); restarting in ${delay} ms.`);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopped) return;
      this.#generation++;
      this.#spawn();
    }, delay);
  }

  #post(message: HostMessage, transfer: Transferable[] = []): void {
    this.#worker?.postMessage(message, transfer);
  }

  #onWorkerMessage(worker: Worker, data: unknown): void {
    if (worker !== this.#worker) return;
    const parsed = WorkerMessageSchema.safeParse(data);
    if (!parsed.success) {
      this.#log(`Telegram: ignored a malformed worker message: ${parsed.error.message}`);
      return;
    }
    const message: WorkerMessage = parsed.data;
    switch (message.type) {
      case "ready":
        this.#log(`Telegram: connected as @${message.username}.`);
        return;
      case "log":
        this.#log(message.line);
        return;
      case "stopped":
        this.#stoppedSignal?.();
        return;
      case "inbound":
        this.#enqueueTurn(message.requestId, message.sessionKey, message.text);
        return;
      case "command":
        this.#command(message.requestId, message.sessionKey, message.command);
        return;
    }
  }

  #state(sessionKey: string): SessionState {
    let state = this.#sessions.get(sessionKey);
    if (!state) {
      state = { running: false, chain: Promise.resolve() };
      this.#sessions.set(sessionKey, state);
    }
    return state;
  }

  /** Queues a turn; a newer message interrupts the turn that is running or waiting. */
  #enqueueTurn(requestId: string, sessionKey: string, text: string): void {
    const state = this.#state(sessionKey);
    state.controller?.abort();
    const controller = new AbortController();
    state.controller = controller;
    state.chain = state.chain.then(() =>
      this.#runTurn(state, requestId, sessionKey, text, controller.signal)
    ).catch((err) => this.#log(`Telegram: a turn failed: ${err?.message ?? err}`));
  }

  #command(requestId: string, sessionKey: string, command: "new" | "stop"): void {
    const state = this.#state(sessionKey);
    const wasRunning = state.running;
    state.controller?.abort();
    if (command === "stop") {
      this.#post({
        type: "command_done",
        requestId,
        text: wasRunning ? "Stopped." : "Nothing is running.",
      });
      return;
    }
    // Clear after the interrupted turn has saved what it said, so nothing leaks into the new one.
    state.chain = state.chain.then(async () => {
      await this.#options.sessions.clear(SESSION_PREFIX + sessionKey);
      this.#post({ type: "command_done", requestId, text: "Started a new conversation." });
    }).catch((err) => this.#log(`Telegram: /new failed: ${err?.message ?? err}`));
  }

  async #runTurn(
    state: SessionState,
    requestId: string,
    sessionKey: string,
    text: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    this.#post({ type: "turn", requestId }, [port2]);
    const sessionId = SESSION_PREFIX + sessionKey;
    const user: ChatMessage = { role: "user", content: text };
    let result: TurnResult | undefined;
    let partial = "";
    state.running = true;
    try {
      if (!signal.aborted) {
        const history = await this.#options.sessions.load(sessionId);
        const turn: AgentTurn = { messages: [...history, user], platform: "telegram", sessionKey };
        for await (const event of this.#options.agent.run(turn, { signal })) {
          if (event.type === "text_delta") partial += event.delta;
          if (event.type === "final") result = event.result;
          port1.postMessage({ type: "event", event });
          if (event.type === "final") break;
        }
      }
    } catch (error) {
      if (!signal.aborted) {
        result = failedResult(partial, error instanceof Error ? error.message : String(error));
      }
    } finally {
      state.running = false;
    }
    if (!result) {
      result = interruptedResult(partial);
      port1.postMessage({ type: "event", event: { type: "final", result } });
    }
    port1.close();
    // Interrupted turns keep what was said so far.
    const saved: ChatMessage[] = [user, ...result.messages];
    if (result.messages.length === 0 && partial.trim() !== "") {
      saved.push({ role: "assistant", content: partial });
    }
    await this.#options.sessions.append(sessionId, saved);
  }
}

function interruptedResult(text: string): TurnResult {
  return {
    status: "interrupted",
    text,
    messages: [],
    usage: emptyUsage(),
    finishReason: "stop",
    clientToolCalls: [],
    incompleteReason: "interrupted",
  };
}

function failedResult(text: string, message: string): TurnResult {
  return {
    ...interruptedResult(text),
    status: "failed",
    incompleteReason: undefined,
    error: { message, code: "agent_error" },
  };
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
