/**
 * The main-thread side of the Telegram adapter: spawns the worker with narrowed permissions,
 * restarts it with backoff when it dies, runs agent turns for the messages it forwards, and
 * streams each turn's events back over a per-turn MessagePort (the token channel).
 * @module
 */
import type {
  ApprovalDecision,
  ApprovalRequest,
  TurnApprovals,
  TurnResult,
  TurnRunner,
} from "../agent/mod.ts";
import { type ChatMessage, type ContentPart, runTurn } from "../agent/mod.ts";
import type { ApprovalStore } from "../store/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { embeddedWorkerUrl } from "./embedded_workers.ts";
import {
  allowsNobody,
  type HostMessage,
  UpdateSchema,
  type WorkerMessage,
  WorkerMessageSchema,
  type WorkerSettings,
} from "./telegram/mod.ts";
import { UpdateInbox } from "./update_inbox.ts";

/** Anything that runs agent turns; the agent's `Agent` class fits. */
export type AgentLike = TurnRunner;

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
  /**
   * Pending approvals (`approvals.telegram` decides which calls ask): asked with inline buttons,
   * stored so a restart keeps them. Without it nothing is asked.
   */
  approvals?: ApprovalStore;
  log?: (line: string) => void;
  /**
   * The KV store for the inbox of received updates, which makes messages survive restarts;
   * without it the inbox lives in memory (worker restarts only).
   */
  kv?: Deno.Kv;
  /** The inbox to use instead of one on `kv` (tests). */
  inbox?: UpdateInbox;
  /** How often the typing indicator is renewed, in ms; default 4000. */
  typingIntervalMs?: number;
  /** The worker entry; default `platforms/telegram/worker.ts`. */
  workerUrl?: URL;
  /** First restart delay in ms, doubled per crash up to a minute; default 1000. */
  restartDelayMs?: number;
  /** Test hook passed to the worker: this exact message text makes it crash… */
  crashOnText?: string;
  /** …in worker generations below this (default: every time). */
  crashGenerations?: number;
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
/** An update whose handling crashed the worker this often is dropped with an apology. */
const MAX_ATTEMPTS = 2;
/** The abort reason of turns cut off by shutdown: their updates are answered after a restart. */
const SHUTDOWN = Symbol("shutdown");

/** An update as the inbox and the worker protocol carry it. */
type Update = { update_id: number; [key: string]: unknown };

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
  #inbox: UpdateInbox;
  /** Whether the current worker said it is ready for updates. */
  #ready = false;
  /** The replay of pending updates for the current worker; new updates wait for it. */
  #replaying: Promise<void> = Promise.resolve();
  /** Updates given to the current worker, so a replay and a redelivery never both do. */
  #dispatched = new Set<number>();
  /** Updates whose turn shutdown cut off: they stay pending for the next start. */
  #keepPending = new Set<number>();
  /** Inbox writes in flight, awaited by stop(). */
  #writes = new Set<Promise<void>>();
  webhookPath?: string;

  constructor(options: TelegramOptions) {
    this.#options = options;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#inbox = options.inbox ?? new UpdateInbox(options.kv);
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
    for (const state of this.#sessions.values()) state.controller?.abort(SHUTDOWN);
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
    await this.#replaying;
    await Promise.all([...this.#writes]);
  }

  /**
   * Checks Telegram's secret-token header, stores the update, and only then answers: a 500 when
   * it cannot be stored makes Telegram deliver it again later.
   */
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
    const parsed = UpdateSchema.safeParse(update);
    if (!parsed.success) {
      return new Response("Bad request: the body is not an update object", { status: 400 });
    }
    let isNew: boolean;
    try {
      isNew = await this.#inbox.add(parsed.data);
    } catch (error) {
      this.#log(`Telegram: a webhook update could not be stored: ${describe(error)}`);
      return new Response("Cannot store the update; try again later", { status: 500 });
    }
    // While the worker restarts, the update waits in the inbox and is replayed when it is ready.
    if (isNew && this.#ready) this.#dispatchAfterReplay(parsed.data);
    return new Response("ok");
  }

  #spawn(): void {
    const { config } = this.#options.config;
    // A bundle carries the worker inside it; from source (and deno compile, which --includes
    // the file) the worker starts from its .ts file beside this one.
    const url = this.#options.workerUrl ?? embeddedWorkerUrl("telegram") ??
      new URL("./telegram/worker.ts", import.meta.url);
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
    this.#ready = false;
    this.#dispatched.clear();
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
      typingIntervalMs: this.#options.typingIntervalMs,
      crashOnText: this.#options.crashOnText,
      crashGenerations: this.#options.crashGenerations,
    };
  }

  #onWorkerDeath(worker: Worker, message: string): void {
    if (worker !== this.#worker) return;
    worker.terminate();
    this.#worker = undefined;
    this.#ready = false;
    this.#stoppedSignal?.();
    if (this.#stopped) return;
    // Turns whose replies were rendering in the dead worker can no longer be shown; their
    // updates are still pending and are replayed when the new worker is ready.
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
        this.#ready = true;
        this.#replaying = this.#replay(worker);
        return;
      case "received":
        this.#onReceived(worker, message.update);
        return;
      case "handled":
        this.#onHandled(message.updateId);
        return;
      case "log":
        this.#log(message.line);
        return;
      case "stopped":
        this.#stoppedSignal?.();
        return;
      case "inbound":
        this.#enqueueTurn(message.requestId, message.updateId, message.sessionKey, message.content);
        return;
      case "command":
        this.#command(message.requestId, message.sessionKey, message.command);
        return;
      case "approval_answer":
        this.#approvalAnswer(message).catch((error) =>
          this.#log(`Telegram: an approval answer failed: ${describe(error)}`)
        );
        return;
    }
  }

  /** Stores an update from long polling, then lets the worker move its offset past it. */
  async #onReceived(worker: Worker, update: Update): Promise<void> {
    let isNew: boolean;
    try {
      isNew = await this.#inbox.add(update);
    } catch (error) {
      this.#log(`Telegram: update ${update.update_id} could not be stored: ${describe(error)}`);
      if (worker === this.#worker) {
        this.#post({ type: "stored", updateId: update.update_id, ok: false });
      }
      return;
    }
    if (worker !== this.#worker) return;
    this.#post({ type: "stored", updateId: update.update_id, ok: true });
    // A known update is a redelivery: it was handled already, or the replay hands it over.
    if (isNew) this.#dispatchAfterReplay(update);
  }

  #dispatchAfterReplay(update: Update): void {
    const worker = this.#worker;
    if (!worker) return;
    this.#replaying.then(() => this.#dispatch(worker, update)).catch((error) =>
      this.#log(`Telegram: update ${update.update_id} could not be handed over: ${describe(error)}`)
    );
  }

  /** Hands the pending updates of the inbox to a worker that has just become ready. */
  async #replay(worker: Worker): Promise<void> {
    try {
      const pending = await this.#inbox.pending();
      if (pending.length > 0) {
        this.#log(`Telegram: handling ${pending.length} update(s) left from before a restart.`);
      }
      for (const entry of pending) await this.#dispatch(worker, entry.update);
    } catch (error) {
      this.#log(`Telegram: pending updates could not be read: ${describe(error)}`);
    }
  }

  /** Gives an update to the worker, or gives up on it when it has crashed the worker before. */
  async #dispatch(worker: Worker, update: Update): Promise<void> {
    const id = update.update_id;
    if (worker !== this.#worker || this.#dispatched.has(id)) return;
    this.#dispatched.add(id);
    const attempts = await this.#inbox.countAttempt(id);
    if (worker !== this.#worker) return;
    if (attempts >= MAX_ATTEMPTS) {
      this.#log(
        `Telegram: update ${id} failed ${attempts} times; dropping it with an apology to its chat.`,
      );
      this.#post({ type: "give_up", update });
      return;
    }
    this.#post({ type: "update", update });
  }

  #onHandled(updateId: number): void {
    if (this.#keepPending.delete(updateId)) return;
    const write = this.#inbox.markDone(updateId).catch((error) =>
      this.#log(`Telegram: update ${updateId} could not be marked handled: ${describe(error)}`)
    );
    this.#writes.add(write);
    write.finally(() => this.#writes.delete(write));
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
  #enqueueTurn(
    requestId: string,
    updateId: number,
    sessionKey: string,
    content: string | ContentPart[],
  ): void {
    const state = this.#state(sessionKey);
    state.controller?.abort();
    const controller = new AbortController();
    state.controller = controller;
    const chain: Promise<void> = state.chain.then(() =>
      this.#runTurn(state, { requestId, updateId, sessionKey, content }, controller.signal)
    ).catch((err) => this.#log(`Telegram: a turn failed: ${err?.message ?? err}`))
      .finally(() => {
        // An idle chat keeps no state here: the map holds only chats with work in flight.
        if (state.chain === chain && this.#sessions.get(sessionKey) === state) {
          this.#sessions.delete(sessionKey);
        }
      });
    state.chain = chain;
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

  /** How a Telegram turn asks: inline buttons in the chat, answered by an allowed user. */
  #turnApprovals(store: ApprovalStore, sessionKey: string): TurnApprovals {
    const scope = SESSION_PREFIX + sessionKey;
    return {
      mode: this.#options.config.config.approvals.telegram,
      isGranted: (tool) => store.isGranted(scope, tool),
      ask: (request, signal) => this.#ask(store, scope, request, signal),
    };
  }

  /**
   * Stores the question (the worker shows it with buttons, from the approval_requested event)
   * and waits for its answer, its expiry, or the turn's end. A turn replayed after a restart
   * finds the question it asked before and takes that one's answer too.
   */
  async #ask(
    store: ApprovalStore,
    scope: string,
    request: ApprovalRequest,
    signal: AbortSignal,
  ): Promise<ApprovalDecision> {
    await store.create({
      id: request.id,
      platform: "telegram",
      scope,
      call: request.call,
      origin: request.origin,
      reason: request.reason,
    });
    const earlier = await store.reusable(scope, request.call, request.id);
    const settled = (a: { state: string } | null) => a !== null && a.state !== "pending";
    let answer = settled(earlier) ? earlier : null;
    if (!answer) {
      // Ends both waits once one has its answer, or the turn ends (even before we got here).
      const stop = new AbortController();
      const ended = AbortSignal.any([signal, stop.signal]);
      try {
        const waits = [store.wait(request.id, ended)];
        if (earlier) waits.push(store.wait(earlier.id, ended));
        answer = await Promise.race(waits);
      } finally {
        stop.abort();
      }
    }
    if (answer && answer.state !== "pending") {
      await store.setMeta(answer.id, { used: true });
      if (answer.id !== request.id) {
        // The question asked again after a restart is settled by the first one's answer.
        await store.answer(request.id, scope, {
          approved: answer.state === "approved",
          reason: answer.answer?.reason,
        });
      }
      return {
        approved: answer.state === "approved",
        ...(answer.answer?.reason ? { reason: answer.answer.reason } : {}),
        ...(answer.answer?.always ? { always: true } : {}),
      };
    }
    if (signal.aborted) {
      // Shutdown (or a dead worker) keeps the question open for the replayed turn; /stop and
      // a newer message deny it.
      const kept = signal.reason === SHUTDOWN || this.#worker === undefined;
      const reason = "the turn was stopped before an answer came";
      if (!kept) await store.answer(request.id, scope, { approved: false, reason });
      return { approved: false, reason };
    }
    const seconds = Math.round(store.timeoutMs / 1000);
    return { approved: false, reason: `nobody answered within ${seconds} s` };
  }

  /** A button press from an allowed user: answer the approval, confirm it in the chat. */
  async #approvalAnswer(
    message: Extract<WorkerMessage, { type: "approval_answer" }>,
  ): Promise<void> {
    const store = this.#options.approvals;
    const choice = CHOICES[message.choice];
    const base = {
      type: "approval_done" as const,
      callbackId: message.callbackId,
      chatId: message.chatId,
      messageId: message.messageId,
    };
    if (!store) {
      this.#post({ ...base, toast: "Approvals are not enabled." });
      return;
    }
    const outcome = await store.answer(message.approvalId, SESSION_PREFIX + message.sessionKey, {
      approved: choice.approved,
      ...("always" in choice ? { always: true } : {}),
      ...(choice.approved ? {} : { reason: "denied in Telegram" }),
    });
    if (outcome.ok) {
      this.#post({ ...base, toast: choice.toast });
      return;
    }
    const toast = outcome.refusal === "expired"
      ? "This request expired; nothing was run."
      : outcome.refusal === "answered"
      ? "This request was already answered."
      : "This request is unknown here.";
    this.#post({ ...base, toast, text: `${message.text}\n\n${toast}` });
  }

  async #runTurn(
    state: SessionState,
    inbound: {
      requestId: string;
      updateId: number;
      sessionKey: string;
      content: string | ContentPart[];
    },
    signal: AbortSignal,
  ): Promise<void> {
    const { requestId, sessionKey } = inbound;
    const { port1, port2 } = new MessageChannel();
    this.#post({ type: "turn", requestId }, [port2]);
    const sessionId = SESSION_PREFIX + sessionKey;
    const user: ChatMessage = { role: "user", content: inbound.content };
    let partial = "";
    state.running = true;
    let result: TurnResult;
    try {
      const { agent, sessions } = this.#options;
      // The session is loaded inside the turn, so a failed load ends it like any failure.
      const runner: TurnRunner = {
        run: async function* (turn, options) {
          const history = await sessions.load(sessionId);
          return yield* agent.run({ ...turn, messages: [...history, user] }, options);
        },
      };
      result = await runTurn(runner, { messages: [], platform: "telegram", sessionKey }, {
        signal,
        ...(this.#options.approvals
          ? { approvals: this.#turnApprovals(this.#options.approvals, sessionKey) }
          : {}),
        onEvent: (event) => {
          if (event.type === "text_delta") partial += event.delta;
          port1.postMessage({ type: "event", event });
        },
      });
    } finally {
      state.running = false;
    }
    port1.close();
    // Cut off by shutdown: the update stays pending and the turn runs again after a restart,
    // so nothing of this attempt goes into the history. The same for a worker that died,
    // whose updates are replayed into the next one.
    if (signal.aborted && (signal.reason === SHUTDOWN || this.#worker === undefined)) {
      if (signal.reason === SHUTDOWN) this.#keepPending.add(inbound.updateId);
      return;
    }
    // Interrupted turns keep what was said so far.
    const saved: ChatMessage[] = [user, ...result.messages];
    if (result.messages.length === 0 && partial.trim() !== "") {
      saved.push({ role: "assistant", content: partial });
    }
    await this.#options.sessions.append(sessionId, saved);
  }
}

/** What a pressed button says. */
const CHOICES = {
  once: { approved: true, toast: "Allowed once." },
  always: { approved: true, always: true, toast: "Allowed for this chat." },
  deny: { approved: false, toast: "Denied." },
} as const;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
