/**
 * The bot's slash commands: their names, descriptions for setMyCommands, and parsing, including
 * the `/command@botname` form used in groups.
 * @module
 */

/** A command the bot understands. */
export type CommandName = "new" | "stop" | "help";

/** The commands as registered with Telegram (`/reset` is an unlisted alias of `/new`). */
export const BOT_COMMANDS: { command: CommandName; description: string }[] = [
  { command: "new", description: "Start a new conversation" },
  { command: "stop", description: "Stop the reply being written" },
  { command: "help", description: "Show what this bot can do" },
];

/** The text `/help` answers with. */
export const HELP_TEXT = [
  "Send me a message and I will answer; the reply appears as it is written.",
  "",
  "/new — start a new conversation (alias /reset)",
  "/stop — stop the reply being written",
  "/help — show this message",
  "",
  "Sending a new message while I am answering stops the current reply and answers the new one.",
].join("\n");

/**
 * Parses a command at the start of `text`. Returns null for ordinary text, unknown commands and
 * commands addressed to another bot.
 *
 * @example
 * ```ts
 * parseCommand("/reset@herald_bot", "herald_bot"); // "new"
 * ```
 */
export function parseCommand(text: string, botUsername: string): CommandName | null {
  const match = text.trim().match(/^\/([a-z_]+)(?:@(\w+))?(?:\s|$)/i);
  if (!match) return null;
  if (match[2] && match[2].toLowerCase() !== botUsername.toLowerCase()) return null;
  const name = match[1].toLowerCase();
  if (name === "reset") return "new";
  if (name === "start") return "help";
  if (name === "new" || name === "stop" || name === "help") return name;
  return null;
}
