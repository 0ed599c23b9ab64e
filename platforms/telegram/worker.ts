/**
 * The Telegram worker's entry point. The worker owns the Telegram connection and nothing else:
 * it gets its settings in the init message (it has no env or file access), forwards messages to
 * the host, and renders the turns the host streams back over per-turn ports.
 * @module
 */
// Must stay the first import: it runs before grammY's dependencies read the environment.
import "../no_env_shim.ts";
import { runPlatformWorker } from "../worker_runtime.ts";
import { TelegramBot, telegramFatalLine } from "./bot.ts";

runPlatformWorker({
  label: "Telegram",
  create: (settings, context) => new TelegramBot(settings, context),
  fatalLine: telegramFatalLine,
});
