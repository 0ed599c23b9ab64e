/**
 * The platform host: the main-thread side shared by every chat platform (Telegram, Discord,
 * Slack). For each configured platform it spawns the worker with permissions narrowed to that
 * platform's hosts, restarts it with backoff when it dies (and stops it for good, with one clear
 * line, when the platform rejects the configuration), keeps the durable inbox of updates, runs
 * each session's turns and commands in order through the one session queue, and streams each
 * turn's AgentEvents to the worker over the turn's own MessagePort (the token channel).
 * @module
 */
import type {
  ApprovalDecision,
  ApprovalMode,
  ApprovalRequest,
  Platform,
  TurnApprovals,
  TurnResult,
  TurnRunner,
} from "../agent/mod.ts";
import type { ApprovalStore } from "../store/mod.ts";
import { type ChatMessage, type ContentPart, runTurn } from "../agent/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { embeddedWorkerUrl } from "./embedded_workers.ts";
import {
  type CommonSettings,
  type HostMessage,
  type PlatformUpdate,
  type WorkerMessage,
  WorkerMessageSchema,
} from "./protocol.ts";
import { SessionQueue } from "./session_queue.ts";
import { postEvent } from "./token_channel.ts";
import { UpdateInbox } from "./update_inbox.ts";
import { describeError } from "../lib/mod.ts";

/** Anything that runs agent turns; the agent's `Agent` class fits. */
export type AgentLike = TurnRunner;

/** The session history calls the host makes; `store/sessions.ts`'s SessionStore fits. */
export interface SessionStoreLike {
  load(sessionId: string): Promise<ChatMessage[]>;
  append(sessionId: string, messages: ChatMessage[]): Promise<void>;
  clear(sessionId: string): Promise<void>;
}

/** What a webhook route makes of a request: an answer now, or updates to store first. */
export type WebhookVerdict =
  | { response: Response }
  | { updates: PlatformUpdate[]; response?: Response };

/** What the host needs to know about one platform; each platform folder provides one. */
export interface PlatformSpec {
  /** The platform's name: session ids, the inbox's KV prefix, the toolset. */
  name: Extract<Platform, "telegram" | "discord" | "slack">;
  /** The name in log lines: "Telegram". */
  label: string;
  /** The worker's entry, from source; a bundle embeds it under `name`. */
  workerUrl: URL;
  /** The hosts (with ports where not default) the worker may connect to, and nothing else. */
  netHosts: string[];
  /** System information the worker's libraries read at load (none by default). */
  sys?: NonNullable<Deno.SysPermissionDescriptor["kind"]>[];
  /** The platform settings sent in `init`; validated by the worker's own schema. */
  settings: Record<string, unknown>;
  /**
   * True when the worker shows approval questions with buttons. Where it does not, a call that
   * needs approval is denied at once, with the setting that allows it, instead of waiting for an
   * answer nobody can give.
   */
  asksApprovals?: boolean;
  /** Logged once at start when the allow-list lets nobody in, with how to fix it. */
  allowsNobodyHint?: string;
  /** HTTP mode: the path the gateway serves and how a request becomes updates. */
  webhook?: { path: string; verify(req: Request): Promise<WebhookVerdict> };
}

/** What {@link startPlatform} needs beside the spec. */
export interface PlatformHostOptions {
  config: ResolvedConfig;
  agent: AgentLike;
  sessions: SessionStoreLike;
  /**
   * Pending approvals (`approvals.<platform>` decides which calls ask): asked in the chat (with
   * buttons where the platform has them), stored so a restart keeps them. Without it nothing is
   * asked.
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
  /** How often the typing indicator is renewed, in ms; the platform's default otherwise. */
  typingIntervalMs?: number;
  /** The worker entry instead of the platform's (tests). */
  workerUrl?: URL;
  /** First restart delay in ms, doubled per crash up to a minute; default 1000. */
  restartDelayMs?: number;
  /** Test hook passed to the worker: this exact message text makes it crash… */
  crashOnText?: string;
  /** …in worker generations below this (default: every time). */
  crashGenerations?: number;
}

/** A running platform adapter. */
export interface PlatformHandle {
  /** The platform's name. */
  readonly name: string;
  /** Stops the adapter, aborts running turns and terminates the worker. */
  stop(): Promise<void>;
  /** Resolves with the bot's identity once connected, or undefined when it stopped first. */
  readonly connected: Promise<string | undefined>;
  /** HTTP mode only: the route handler for the platform's POSTs. */
  handleWebhook?(req: Request): Promise<Response>;
  /** HTTP mode only: the path the webhook route is served on. */
  webhookPath?: string;
  /**
   * HTTP mode only: whether a request carries the platform's secret (reads a copy, so the
   * request stays unread). The failed-auth throttle asks it before refusing a throttled source.
   */
  verifyWebhook?(req: Request): Promise<boolean>;
}

const MAX_RESTART_DELAY_MS = 60_000;
/** A worker that lived this long before dying resets the backoff. */
const STABLE_AFTER_MS = 60_000;
const STOP_GRACE_MS = 3000;
/** An update whose handling crashed the worker this often is dropped with an apology. */
const MAX_ATTEMPTS = 2;
/** The abort reason of turns cut off by shutdown: their updates are answered after a restart. */
const SHUTDOWN = Symbol("shutdown");

/**
 * Starts one platform's adapter.
 *
 * @example
 * ```ts
 * const slack = await startPlatform(slackSpec(config), { config, agent, sessions, kv });
 * // …later
 * await slack.stop();
 * ```
 */
export async function startPlatform(
  spec: PlatformSpec,
  options: PlatformHostOptions,
): Promise<PlatformHandle> {
  const host = new PlatformHost(spec, options);
  await host.start();
  return host;
}

/**
 * Owns one platform's worker: spawn, restart, the inbox, and the agent turns it asks for.
 */
export class PlatformHost implements PlatformHandle {
  readonly name: string;
  readonly connected: Promise<string | undefined>;
  webhookPath?: string;
  #spec: PlatformSpec;
  #options: PlatformHostOptions;
  #log: (line: string) => void;
  #worker: Worker | undefined;
  #generation = 0;
  #crashes = 0;
  #lastDeath = "";
  #startedAt = 0;
  #stopped = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #queue: SessionQueue;
  #stoppedSignal: (() => void) | undefined;
  #resolveConnected!: (identity: string | undefined) => void;
  #inbox: UpdateInbox;
  /** Whether the current worker said it is ready for updates. */
  #ready = false;
  /** The replay of pending updates for the current worker; new updates wait for it. */
  #replaying: Promise<void> = Promise.resolve();
  /** Updates given to the current worker, so a replay and a redelivery never both do. */
  #dispatched = new Set<string>();
  /** Updates whose turn shutdown cut off: they stay pending for the next start. */
  #keepPending = new Set<string>();
  /** Inbox writes in flight, awaited by stop(). */
  #writes = new Set<Promise<void>>();

  constructor(spec: PlatformSpec, options: PlatformHostOptions) {
    this.name = spec.name;
    this.#spec = spec;
    this.#options = options;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#inbox = options.inbox ?? new UpdateInbox(options.kv, { prefix: [spec.name, "inbox"] });
    this.#queue = new SessionQueue((error) =>
      this.#log(`${spec.label}: a turn failed: ${describeError(error)}`)
    );
    this.connected = new Promise((resolve) => this.#resolveConnected = resolve);
  }

  /** Spawns the worker. */
  start(): Promise<void> {
    if (this.#spec.allowsNobodyHint) {
      this.#log(`${this.#spec.label}: ${this.#spec.allowsNobodyHint}`);
    }
    if (this.#spec.webhook) this.webhookPath = this.#spec.webhook.path;
    this.#spawn();
    return Promise.resolve();
  }

  /** Stops the adapter, aborts running turns and terminates the worker. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#resolveConnected(undefined);
    clearTimeout(this.#restartTimer);
    this.#queue.interruptAll(SHUTDOWN);
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
    await this.#queue.idle();
    await this.#replaying;
    await Promise.all([...this.#writes]);
  }

  /**
   * Verifies a webhook request, stores its updates, and only then answers: a 500 when they
   * cannot be stored makes the platform deliver them again later.
   */
  async verifyWebhook(req: Request): Promise<boolean> {
    const webhook = this.#spec.webhook;
    if (!webhook) return false;
    const verdict = await webhook.verify(req.clone());
    if ("updates" in verdict) return true;
    return verdict.response.status !== 401 && verdict.response.status !== 403;
  }

  async handleWebhook(req: Request): Promise<Response> {
    const webhook = this.#spec.webhook;
    if (!webhook || this.#stopped) return new Response("Not found", { status: 404 });
    const verdict = await webhook.verify(req);
    if (!("updates" in verdict)) return verdict.response;
    for (const update of verdict.updates) {
      let isNew: boolean;
      try {
        isNew = await this.#inbox.add(update);
      } catch (error) {
        this.#log(
          `${this.#spec.label}: a webhook update could not be stored: ${describeError(error)}`,
        );
        return new Response("Cannot store the update; try again later", { status: 500 });
      }
      // While the worker restarts, the update waits in the inbox and is replayed when ready.
      if (isNew && this.#ready) this.#dispatchAfterReplay(update);
    }
    return verdict.response ?? new Response("ok");
  }

  #spawn(): void {
    const spec = this.#spec;
    // A bundle carries the worker inside it; from source (and deno compile, which --includes
    // the file) the worker starts from its .ts file.
    const url = this.#options.workerUrl ?? embeddedWorkerUrl(spec.name) ?? spec.workerUrl;
    const worker = new Worker(url, {
      type: "module",
      name: spec.name,
      deno: {
        // The worker talks to its platform's hosts and nothing else. Its own module graph
        // (local files and npm packages) is loaded by Deno's module loader, which needs no read
        // or import permission, so read and import stay off; env is off too (see no_env_shim.ts).
        permissions: {
          net: spec.netHosts,
          read: false,
          write: false,
          env: false,
          run: false,
          ffi: false,
          sys: spec.sys?.length ? spec.sys : false,
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
    worker.onmessageerror = () => this.#log(`${spec.label}: a worker message could not be read`);
    const common: CommonSettings = {
      generation: this.#generation,
      typingIntervalMs: this.#options.typingIntervalMs,
      crashOnText: this.#options.crashOnText,
      crashGenerations: this.#options.crashGenerations,
    };
    this.#post({ type: "init", common, settings: spec.settings });
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
    this.#queue.interruptAll();
    if (Date.now() - this.#startedAt > STABLE_AFTER_MS) this.#crashes = 0;
    const base = this.#options.restartDelayMs ?? 1000;
    const delay = Math.min(base * 2 ** this.#crashes, MAX_RESTART_DELAY_MS);
    this.#crashes++;
    // The same failure again says so in a short line instead of repeating itself.
    const what = message === this.#lastDeath ? "the same error again" : message;
    this.#lastDeath = message;
    this.#log(`${this.#spec.label}: the worker died (${what}); restarting in ${delay} ms.`);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopped) return;
      this.#generation++;
      this.#spawn();
    }, delay);
  }

  /** The platform refused the configuration: say so once and stop this adapter only. */
  #onFatal(worker: Worker, line: string): void {
    this.#log(line);
    this.#stopped = true;
    this.#resolveConnected(undefined);
    this.#queue.interruptAll(SHUTDOWN);
    worker.terminate();
    if (this.#worker === worker) this.#worker = undefined;
    this.#ready = false;
  }

  #post(message: HostMessage, transfer: Transferable[] = []): void {
    this.#worker?.postMessage(message, transfer);
  }

  #onWorkerMessage(worker: Worker, data: unknown): void {
    if (worker !== this.#worker) return;
    const parsed = WorkerMessageSchema.safeParse(data);
    if (!parsed.success) {
      this.#log(`${this.#spec.label}: ignored a malformed worker message: ${parsed.error.message}`);
      return;
    }
    const message: WorkerMessage = parsed.data;
    switch (message.type) {
      case "ready":
        this.#log(`${this.#spec.label}: connected as ${message.identity}.`);
        this.#resolveConnected(message.identity);
        this.#ready = true;
        this.#lastDeath = "";
        this.#replaying = this.#replay(worker);
        return;
      case "fatal":
        this.#onFatal(worker, message.line);
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
        this.#enqueueTurn(message);
        return;
      case "command":
        this.#command(message);
        return;
      case "approval_answer":
        this.#approvalAnswer(message).catch((error) =>
          this.#log(`${this.#spec.label}: an approval answer failed: ${describeError(error)}`)
        );
        return;
    }
  }

  /** Stores an update the worker received, then lets it acknowledge the update. */
  async #onReceived(worker: Worker, update: PlatformUpdate): Promise<void> {
    let isNew: boolean;
    try {
      isNew = await this.#inbox.add(update);
    } catch (error) {
      this.#log(
        `${this.#spec.label}: update ${update.id} could not be stored: ${describeError(error)}`,
      );
      if (worker === this.#worker) this.#post({ type: "stored", updateId: update.id, ok: false });
      return;
    }
    if (worker !== this.#worker) return;
    this.#post({ type: "stored", updateId: update.id, ok: true });
    // A known update is a redelivery: it was handled already, or the replay hands it over.
    if (isNew) this.#dispatchAfterReplay(update);
  }

  #dispatchAfterReplay(update: PlatformUpdate): void {
    const worker = this.#worker;
    if (!worker) return;
    this.#replaying.then(() => this.#dispatch(worker, update)).catch((error) =>
      this.#log(
        `${this.#spec.label}: update ${update.id} could not be handed over: ${
          describeError(error)
        }`,
      )
    );
  }

  /** Hands the pending updates of the inbox to a worker that has just become ready. */
  async #replay(worker: Worker): Promise<void> {
    try {
      const pending = await this.#inbox.pending();
      if (pending.length > 0) {
        this.#log(
          `${this.#spec.label}: handling ${pending.length} update(s) left from before a restart.`,
        );
      }
      for (const entry of pending) await this.#dispatch(worker, entry.update);
    } catch (error) {
      this.#log(`${this.#spec.label}: pending updates could not be read: ${describeError(error)}`);
    }
  }

  /** Gives an update to the worker, or gives up on it when it has crashed the worker before. */
  async #dispatch(worker: Worker, update: PlatformUpdate): Promise<void> {
    const id = update.id;
    if (worker !== this.#worker || this.#dispatched.has(id)) return;
    this.#dispatched.add(id);
    const attempts = await this.#inbox.countAttempt(id);
    if (worker !== this.#worker) return;
    if (attempts >= MAX_ATTEMPTS) {
      this.#log(
        `${this.#spec.label}: update ${id} failed ${attempts} times; dropping it with an apology.`,
      );
      this.#post({ type: "give_up", update });
      return;
    }
    this.#post({ type: "update", update });
  }

  #onHandled(updateId: string): void {
    if (this.#keepPending.delete(updateId)) return;
    const write = this.#inbox.markDone(updateId).catch((error) =>
      this.#log(
        `${this.#spec.label}: update ${updateId} could not be marked handled: ${
          describeError(error)
        }`,
      )
    );
    this.#writes.add(write);
    write.finally(() => this.#writes.delete(write));
  }

  #sessionId(sessionKey: string): string {
    return `${this.#spec.name}:${sessionKey}`;
  }

  /** Queues a turn; a newer message interrupts the turn that is running or waiting. */
  #enqueueTurn(inbound: Extract<WorkerMessage, { type: "inbound" }>): void {
    this.#queue.run(
      this.#sessionId(inbound.sessionKey),
      (signal) => this.#runTurn(inbound, signal),
      { interruptPrevious: true },
    );
  }

  #command(message: Extract<WorkerMessage, { type: "command" }>): void {
    const { requestId, command } = message;
    const sessionId = this.#sessionId(message.sessionKey);
    const wasRunning = this.#queue.interrupt(sessionId);
    if (command === "stop") {
      const text = wasRunning ? "Stopped." : "Nothing is running.";
      this.#post({ type: "command_done", requestId, text });
      return;
    }
    // Clear after the interrupted turn has saved what it said, so nothing leaks into the new one.
    this.#queue.run(sessionId, async () => {
      await this.#options.sessions.clear(sessionId);
      this.#post({ type: "command_done", requestId, text: "Started a new conversation." });
    });
  }

  /** How a chat turn asks: a question in the chat, answered by an allowed user. */
  #turnApprovals(store: ApprovalStore, scope: string): TurnApprovals {
    const { approvals } = this.#options.config.config;
    const mode: ApprovalMode = approvals[this.#spec.name];
    const setting = `approvals.${this.#spec.name}`;
    return {
      mode,
      isGranted: (tool) => store.isGranted(scope, tool),
      ask: this.#spec.asksApprovals
        ? (request, signal) => this.#ask(store, scope, request, signal)
        : () =>
          Promise.resolve({
            approved: false,
            reason: `${this.#spec.label} cannot ask for approval yet; the gateway's operator can ` +
              `set ${setting} to "never" to let such calls run (the sandbox still confines them)`,
          }),
    };
  }

  /**
   * Stores the question (the worker shows it, from the approval_requested event) and waits for
   * its answer, its expiry, or the turn's end. A turn replayed after a restart finds the
   * question it asked before and takes that one's answer too.
   */
  async #ask(
    store: ApprovalStore,
    scope: string,
    request: ApprovalRequest,
    signal: AbortSignal,
  ): Promise<ApprovalDecision> {
    await store.create({
      id: request.id,
      platform: this.#spec.name,
      scope,
      call: request.call,
      origin: request.origin,
      reason: request.reason,
    });
    const earlier = await store.reusable(scope, request.call, request.id);
    let answer = earlier && earlier.state !== "pending" ? earlier : null;
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

  /** An allowed user's answer (a button press): take it, and confirm it in the chat. */
  async #approvalAnswer(
    message: Extract<WorkerMessage, { type: "approval_answer" }>,
  ): Promise<void> {
    const store = this.#options.approvals;
    const choice = CHOICES[message.choice];
    const base = { type: "approval_done" as const, reply: message.reply };
    if (!store) {
      this.#post({ ...base, toast: "Approvals are not enabled." });
      return;
    }
    const outcome = await store.answer(message.approvalId, this.#sessionId(message.sessionKey), {
      approved: choice.approved,
      ...("always" in choice ? { always: true } : {}),
      ...(choice.approved ? {} : { reason: `denied in ${this.#spec.label}` }),
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
    inbound: Extract<WorkerMessage, { type: "inbound" }>,
    signal: AbortSignal,
  ): Promise<void> {
    const { requestId, sessionKey } = inbound;
    const { port1, port2 } = new MessageChannel();
    this.#post({ type: "turn", requestId }, [port2]);
    const sessionId = this.#sessionId(sessionKey);
    const user: ChatMessage = { role: "user", content: inbound.content as string | ContentPart[] };
    let partial = "";
    const { agent, sessions } = this.#options;
    // The session is loaded inside the turn, so a failed load ends it like any failure.
    const runner: TurnRunner = {
      run: async function* (turn, options) {
        const history = await sessions.load(sessionId);
        return yield* agent.run({ ...turn, messages: [...history, user] }, options);
      },
    };
    const result: TurnResult = await runTurn(
      runner,
      {
        messages: [],
        platform: this.#spec.name,
        sessionKey,
        ...(inbound.userId ? { actor: `user:${inbound.userId}` } : {}),
      },
      {
        signal,
        onEvent: (event) => {
          if (event.type === "text_delta") partial += event.delta;
          postEvent(port1, event);
        },
        ...(this.#options.approvals
          ? { approvals: this.#turnApprovals(this.#options.approvals, sessionId) }
          : {}),
      },
    );
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
