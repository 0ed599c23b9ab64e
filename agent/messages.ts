/**
 * The conversation shapes the agent works in: OpenAI Chat Completions messages.
 * Every platform converts its input into these, and stores the turn's new ones.
 * @module
 */

/** A text part of a multi-part message. */
export interface TextPart {
  type: "text";
  text: string;
}

/** An image part of a multi-part message, passed through to the model. */
export interface ImagePart {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}

/** One part of a multi-part user message. */
export type ContentPart = TextPart | ImagePart;

/** A function call the model made, in OpenAI form (`arguments` is a JSON string). */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A system or developer message. */
export interface SystemMessage {
  role: "system" | "developer";
  content: string | TextPart[];
}

/** A user message: text, or text and image parts. */
export interface UserMessage {
  role: "user";
  content: string | ContentPart[];
  name?: string;
}

/** An assistant message: text, tool calls, or both. */
export interface AssistantMessage {
  role: "assistant";
  content: string | null;
  tool_calls?: ToolCall[];
  /** Reasoning text some upstreams return beside the answer. */
  reasoning_content?: string;
}

/** The result of one tool call. */
export interface ToolMessage {
  role: "tool";
  tool_call_id: string;
  content: string;
}

/** Any message of a conversation. */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** Token counts, summed over every LLM call of a turn. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

/** A function tool declared by the API client; the agent returns calls to it instead of running it. */
export interface ClientTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

/** Returns a zeroed usage record. */
export function emptyUsage(): Usage {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}

/** Adds `b` into `a` and returns `a`. */
export function addUsage(a: Usage, b: Partial<Usage>): Usage {
  a.prompt_tokens += b.prompt_tokens ?? 0;
  a.completion_tokens += b.completion_tokens ?? 0;
  a.total_tokens += b.total_tokens ?? (b.prompt_tokens ?? 0) + (b.completion_tokens ?? 0);
  if (b.cached_tokens) a.cached_tokens = (a.cached_tokens ?? 0) + b.cached_tokens;
  if (b.reasoning_tokens) a.reasoning_tokens = (a.reasoning_tokens ?? 0) + b.reasoning_tokens;
  return a;
}

/** Returns the plain text of a message's content (image parts are dropped). */
export function textOf(content: string | ContentPart[] | null | undefined): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content.filter((p): p is TextPart => p.type === "text").map((p) => p.text).join("");
}
