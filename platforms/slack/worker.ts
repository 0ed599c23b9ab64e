/**
 * The Slack worker's entry point: the Slack connection and nothing else, with its settings from
 * the init message (no env or file access).
 * @module
 */
import { runPlatformWorker } from "../worker_runtime.ts";
import { SlackBot, slackFatalLine } from "./bot.ts";

runPlatformWorker({
  label: "Slack",
  create: (settings, context) => new SlackBot(settings, context),
  fatalLine: slackFatalLine,
});
