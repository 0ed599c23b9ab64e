/**
 * The Telegram worker's entry point. The worker owns the Telegram connection and nothing else:
 * it gets its settings in the init message (it has no env or file access), forwards messages to
 * the host, and renders the turns the host streams back over per-turn ports.
 * @module
 */
// Must stay the first import: it runs before grammY's dependencies read the environment.
import "./no_env_shim.ts";
import { TelegramBot } from "./bot.ts";
import { HostMessageSchema, type WorkerMessage } from "./protocol.ts";

declare const self: {
  postMessage(message: WorkerMessage): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
};

let bot: TelegramBot | undefined;
/** Updates of one chat are handled in order; different chats do not wait for each other. */
const chains = new Map<unknown, Promise<void>>();

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

function handleInOrder(key: unknown, work: () => Promise<void>): void {
  const next = (chains.get(key) ?? Promise.resolve()).then(work).catch((err) =>
    post({ type: "log", line: `Telegram: an update failed: ${err?.message ?? err}` })
  );
  chains.set(key, next);
  next.finally(() => {
    if (chains.get(key) === next) chains.delete(key);
  });
}

self.onmessage = (event: MessageEvent) => {
  const parsed = HostMessageSchema.safeParse(event.data);
  if (!parsed.success) {
    post({ type: "log", line: `Telegram worker: ignored a malformed message from the host` });
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case "init":
      if (bot) return;
      bot = new TelegramBot(message.settings, post);
      // A failure here (a wrong token, a lost connection) is left uncaught on purpose: the
      // worker dies, and the host logs it and restarts the worker with backoff.
      bot.start().then(() => {}, (err) => {
        throw err;
      });
      return;
    case "update": {
      const update = message.update;
      // deno-lint-ignore no-explicit-any
      const chat = (update as any).message?.chat?.id;
      handleInOrder(chat, () => bot?.handleUpdate(update) ?? Promise.resolve());
      return;
    }
    case "stored":
      bot?.stored(message.updateId, message.ok);
      return;
    case "give_up":
      bot?.giveUp(message.update);
      return;
    case "turn": {
      const port = event.ports[0];
      if (bot && port) bot.startTurn(message.requestId, port);
      return;
    }
    case "command_done":
      bot?.commandDone(message.requestId, message.text);
      return;
    case "approval_done":
      bot?.approvalDone(message);
      return;
    case "stop":
      (bot?.stop() ?? Promise.resolve()).finally(() => post({ type: "stopped" }));
      return;
  }
};
