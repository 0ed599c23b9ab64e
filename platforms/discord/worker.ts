/**
 * The Discord worker's entry point: the Discord connection and nothing else, with its settings
 * from the init message (no env or file access).
 * @module
 */
// Must stay the first import: it runs before the libraries read the environment.
import "../no_env_shim.ts";
import { runPlatformWorker } from "../worker_runtime.ts";
import { DiscordBot, discordFatalLine } from "./bot.ts";

runPlatformWorker({
  label: "Discord",
  create: (settings, context) => new DiscordBot(settings, context),
  fatalLine: discordFatalLine,
});
