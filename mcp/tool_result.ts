/**
 * Turns an MCP `tools/call` result into the text the model reads: text blocks as they are,
 * images and audio as a short note (tool results reach the model as text), embedded resources
 * with their text, resource links by URI, structured content as JSON, and the whole capped.
 * @module
 */

/** A content block of an MCP tool result, loosely typed: servers send what they send. */
interface ContentBlock {
  type?: string;
  text?: string;
  data?: string;
  mimeType?: string;
  uri?: string;
  name?: string;
  description?: string;
  resource?: { uri?: string; mimeType?: string; text?: string; blob?: string };
}

/** The parts of a `tools/call` result that matter to the model. */
export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: boolean;
  /** The pre-2025 result shape some servers still send. */
  toolResult?: unknown;
}

/** What a call becomes: text for the model and whether the server reported an error. */
export interface RenderedResult {
  output: string;
  isError: boolean;
}

/**
 * Renders a result for the model, capped at `maxChars` with a note saying how much was cut.
 *
 * @example
 * ```ts
 * renderToolResult({ content: [{ type: "text", text: "Echo: hi" }] }, 50_000);
 * // { output: "Echo: hi", isError: false }
 * ```
 */
export function renderToolResult(result: McpCallResult, maxChars: number): RenderedResult {
  const parts: string[] = [];
  const blocks = Array.isArray(result.content) ? result.content as ContentBlock[] : [];
  for (const block of blocks) parts.push(renderBlock(block));
  if (result.structuredContent !== undefined) {
    const json = JSON.stringify(result.structuredContent);
    // Servers are asked to repeat structured content as text; say it once.
    if (!parts.some((p) => p.trim() === json)) parts.push(json);
  }
  if (blocks.length === 0 && result.toolResult !== undefined) {
    parts.push(
      typeof result.toolResult === "string" ? result.toolResult : JSON.stringify(result.toolResult),
    );
  }
  const text = parts.join("\n");
  return { output: capText(text || "(no output)", maxChars), isError: result.isError === true };
}

function renderBlock(block: ContentBlock): string {
  switch (block.type) {
    case "text":
      return block.text ?? "";
    case "image":
    case "audio":
      return `[${block.type} ${block.mimeType ?? "of unknown type"}, ${
        base64Bytes(block.data)
      } bytes, not shown]`;
    case "resource": {
      const r = block.resource ?? {};
      const head = `[resource ${r.uri ?? "(no uri)"}${r.mimeType ? ` (${r.mimeType})` : ""}]`;
      if (typeof r.text === "string") return `${head}\n${r.text}`;
      return `${head} ${base64Bytes(r.blob)} bytes of binary data, not shown`;
    }
    case "resource_link":
      return `[resource link ${block.name ?? ""} ${block.uri ?? ""}${
        block.mimeType ? ` (${block.mimeType})` : ""
      }${block.description ? `: ${block.description}` : ""}]`.replace(/\s+\]/, "]");
    default:
      return JSON.stringify(block);
  }
}

function base64Bytes(data: string | undefined): number {
  if (!data) return 0;
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/**
 * Keeps the first `maxChars` characters and says what was cut.
 *
 * @example
 * ```ts
 * capText("x".repeat(10), 4); // "xxxx\n[output truncated: showing 4 of 10 characters]"
 * ```
 */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${
    text.slice(0, maxChars)
  }\n[output truncated: showing ${maxChars} of ${text.length} characters]`;
}
