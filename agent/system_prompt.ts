/**
 * The core system prompt: identity, date, workspace, platform, tools and remembered notes.
 * It always comes first; a client's instructions and system messages are layered on top of it.
 * @module
 */
import type { Platform } from "./events.ts";

/** What the core system prompt is built from. */
export interface SystemPromptInput {
  platform: Platform;
  workspace: string;
  /** Server tools offered this turn: name and description. */
  tools: Array<{ name: string; description: string }>;
  /** The rendered memory block ("" when nothing is remembered). */
  memory?: string;
  /** `agent.system_prompt` from config. */
  extra?: string;
  /** Defaults to now. */
  now?: Date;
}

const PLATFORM_NOTES: Record<Platform, string> = {
  api_server: "You are reached through an OpenAI-compatible HTTP API.",
  telegram: "You are chatting on Telegram. Keep replies readable on a phone; Markdown is rendered.",
  discord: "You are chatting on Discord. Keep replies short and readable; Markdown is rendered.",
  slack: "You are chatting on Slack. Keep replies short and readable; Markdown is rendered.",
  cli: "You are chatting in a terminal.",
};

/** Builds the core system prompt. */
export function buildSystemPrompt(input: SystemPromptInput): string {
  const now = input.now ?? new Date();
  const lines = [
    "You are Herald, an AI agent running on the user's own machine. You can act on it through " +
    "tools: run commands, read and edit files, fetch web pages and remember facts about the user.",
    "Use tools when they help answer accurately; say plainly what you did and what you found. " +
    "Ask before doing anything destructive or irreversible.",
    "",
    `Current date: ${now.toISOString().slice(0, 10)} (${now.toUTCString()}).`,
    `Workspace (the directory your file and terminal tools work in): ${input.workspace}`,
    PLATFORM_NOTES[input.platform],
  ];
  if (input.tools.length > 0) {
    lines.push("", "Tools available to you:");
    for (const t of input.tools) lines.push(`- ${t.name}: ${firstSentence(t.description)}`);
  } else {
    lines.push("", "No server tools are available in this conversation.");
  }
  if (input.memory) lines.push("", input.memory.trim());
  if (input.extra) lines.push("", input.extra.trim());
  return lines.join("\n");
}

function firstSentence(text: string): string {
  const match = /^(.*?[.!?])(\s|$)/s.exec(text.trim());
  return (match ? match[1] : text).replace(/\s+/g, " ");
}
