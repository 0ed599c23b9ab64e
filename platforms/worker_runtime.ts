/**
 * The part of every platform worker that is not about the platform: reading and checking the
 * host's messages, starting the bot (and telling the host when the platform refuses the
 * configuration, so the adapter stops with one clear line instead of restarting forever),
 * ordering a session's updates with the one session queue, and the store-before-acknowledge
 * handshake of the durable inbox.
 * @module
 */
import {
  type CommonSettings,
  type HostMessage,
  HostMessageSchema,
  type PlatformUpdate,
  type WorkerMessage,
} from "./protocol.ts";
import { SessionQueue } from "./session_queue.ts";
import { describeError } from "../lib/mod.ts";

/** What a platform bot gets from the runtime. */
export interface WorkerContext {
  common: CommonSettings;
  post(message: WorkerMessage): void;
  log(line: string): void;
  /** Hands a received update to the host; resolves with whether it is durably stored. */
  store(update: PlatformUpdate): Promise<boolean>;
  /** Tells the host an update needs nothing more. */
  handled(updateId: string): void;
  /** The one per-session queue, for ordering a session's replies in the worker. */
  queue: SessionQueue;
  /** A request id unique within this worker generation. */
  nextRequestId(): string;
  /** Crashes the worker when the test hook asks for it for this text; returns whether it did. */
  crashHook(text: string): boolean;
}

/** One platform connection, owned by the worker. */
export interface PlatformBot {
  /** Connects; calls `post({type: "ready"})` once connected. May run until stopped. */
  start(): Promise<void>;
  /** The session an update belongs to (for ordering), or "" when it has none. */
  sessionKeyOf(update: PlatformUpdate): string;
  /** Handles an update the host has stored. */
  handleUpdate(update: PlatformUpdate): Promise<void>;
  /** Apologises for an update that failed too often and reports it handled. */
  giveUp(update: PlatformUpdate): Promise<void>;
  /** Renders a turn the host started for a forwarded message. */
  startTurn(requestId: string, port: MessagePort): void;
  /** Sends the host's answer to a forwarded command. */
  commandDone(requestId: string, text: string): Promise<void>;
  /** Confirms an approval answer (platforms with approval buttons). */
  approvalDone?(done: Extract<HostMessage, { type: "approval_done" }>): Promise<void>;
  /** Disconnects. */
  stop(): Promise<void>;
}

/** How a platform worker is made. */
export interface WorkerDefinition {
  label: string;
  /** Builds the bot from the platform settings (validate them there). */
  create(settings: unknown, context: WorkerContext): PlatformBot;
  /**
   * The one line to log when starting failed because of the configuration (a rejected token,
   * a missing scope): the adapter then stops for good. Undefined for other failures, which
   * kill the worker so the host restarts it with backoff.
   */
  fatalLine(error: unknown): string | undefined;
}

interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

/**
 * Runs a platform worker: call it once from the worker's entry module.
 *
 * @example
 * ```ts
 * runPlatformWorker({ label: "Slack", create: (s, ctx) => new SlackBot(s, ctx), fatalLine });
 * ```
 */
export function runPlatformWorker(definition: WorkerDefinition): void {
  const scope = self as unknown as WorkerScope;
  const post = (message: WorkerMessage) => scope.postMessage(message);
  const log = (line: string) => post({ type: "log", line });
  const queue = new SessionQueue((error) =>
    log(`${definition.label}: an update failed: ${describeError(error)}`)
  );
  const acks = new Map<string, (ok: boolean) => void>();
  let bot: PlatformBot | undefined;
  let nextId = 0;

  scope.onmessage = (event: MessageEvent) => {
    const parsed = HostMessageSchema.safeParse(event.data);
    if (!parsed.success) {
      log(`${definition.label} worker: ignored a malformed message from the host`);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case "init": {
        if (bot) return;
        const common = message.common;
        const context: WorkerContext = {
          common,
          post,
          log,
          queue,
          store: (update) =>
            new Promise((resolve) => {
              acks.set(update.id, (ok) => {
                acks.delete(update.id);
                resolve(ok);
              });
              post({ type: "received", update });
            }),
          handled: (updateId) => post({ type: "handled", updateId }),
          nextRequestId: () => `${common.generation}-${++nextId}`,
          crashHook: (text) => {
            const { crashOnText, crashGenerations, generation } = common;
            if (crashOnText === undefined || text !== crashOnText) return false;
            if (generation >= (crashGenerations ?? Infinity)) return false;
            setTimeout(() => {
              throw new Error(`${definition.label} worker crashed on request (test hook)`);
            });
            return true;
          },
        };
        try {
          bot = definition.create(message.settings, context);
        } catch (error) {
          post({ type: "fatal", line: `${definition.label}: ${describeError(error)}` });
          return;
        }
        bot.start().catch((error) => {
          const line = definition.fatalLine(error);
          if (line) {
            post({ type: "fatal", line });
            return;
          }
          // Left uncaught on purpose: the worker dies, and the host restarts it with backoff.
          setTimeout(() => {
            throw error;
          });
        });
        return;
      }
      case "update": {
        const update = message.update;
        const current = bot;
        if (!current) return;
        queue.run(current.sessionKeyOf(update), () => current.handleUpdate(update));
        return;
      }
      case "stored":
        acks.get(message.updateId)?.(message.ok);
        return;
      case "give_up":
        bot?.giveUp(message.update).catch((error) =>
          log(`${definition.label}: an apology failed: ${describeError(error)}`)
        );
        return;
      case "turn": {
        const port = event.ports[0];
        if (bot && port) bot.startTurn(message.requestId, port);
        else port?.close();
        return;
      }
      case "command_done":
        bot?.commandDone(message.requestId, message.text).catch((error) =>
          log(`${definition.label}: a command answer failed: ${describeError(error)}`)
        );
        return;
      case "approval_done":
        bot?.approvalDone?.(message).catch((error) =>
          log(
            `${definition.label}: an approval answer could not be confirmed: ${
              describeError(error)
            }`,
          )
        );
        return;
      case "stop":
        for (const resolve of acks.values()) resolve(false);
        (bot?.stop() ?? Promise.resolve()).catch(() => {}).finally(() => post({ type: "stopped" }));
        return;
    }
  };
}

/** What {@link renderTurnInOrder} needs from a bot. */
export interface RenderTurnOptions<O extends { sessionKey: string }> {
  /** The platform's name in log lines: "Slack". */
  label: string;
  /** The bot's origins by request id; the turn's entry is taken out. */
  origins: Map<string, O>;
  requestId: string;
  port: MessagePort;
  /** Renders the turn's token channel into the platform. */
  render(origin: O, port: MessagePort): Promise<void>;
  /** Called once the reply is rendered (or failed): reports the update handled. */
  done(origin: O): void;
  log(line: string): void;
}

/**
 * Renders the turn the host started for a request: replies of one session render one after
 * another, in the order their turns started. A turn for a request the bot does not know is
 * logged and its channel closed. Shared by every platform bot's `startTurn`.
 */
export function renderTurnInOrder<O extends { sessionKey: string }>(
  context: WorkerContext,
  options: RenderTurnOptions<O>,
): void {
  const { label, origins, requestId, port, log } = options;
  const origin = origins.get(requestId);
  origins.delete(requestId);
  if (!origin) {
    log(`${label}: a turn arrived for unknown request ${requestId}`);
    port.close();
    return;
  }
  context.queue.run(
    `render:${origin.sessionKey}`,
    () =>
      options.render(origin, port).catch((err) =>
        log(`${label}: rendering a reply failed: ${describeError(err)}`)
      ).finally(() => options.done(origin)),
  );
}
