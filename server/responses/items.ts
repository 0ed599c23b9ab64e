/**
 * Responses items ↔ the agent's Chat Completions messages: normalising request input into
 * stored items (every item gets an id, `item_reference`s are resolved), and turning a chain's
 * items back into messages for the next turn.
 * @module
 */
import { InvalidRequestError } from "../errors.ts";
import type { ChatMessage, ContentPart, ToolCall } from "../../agent/mod.ts";
import type { ResponseItem } from "../../store/mod.ts";
import { openCompaction } from "./compaction.ts";

/** A new id with a Responses prefix (`msg`, `fc`, `fco`, `resp`, …). */
export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Looks a stored item up by id (for `item_reference`). */
export type ItemLookup = (id: string) => Promise<ResponseItem | null>;

/**
 * Normalises the request's `input` into items with ids: a string becomes one user message,
 * type-less `{role, content}` objects become messages, `item_reference`s are replaced by the
 * stored item.
 *
 * @throws InvalidRequestError for an unknown referenced id or an unsupported item.
 */
export async function normaliseInput(
  input: string | (string | Record<string, unknown>)[],
  lookup: ItemLookup,
): Promise<ResponseItem[]> {
  if (typeof input === "string") return [userMessage(input)];
  const out: ResponseItem[] = [];
  for (const [i, raw] of input.entries()) {
    if (typeof raw === "string") {
      out.push(userMessage(raw));
      continue;
    }
    const type = raw.type ?? (raw.role !== undefined ? "message" : "item_reference");
    switch (type) {
      case "message": {
        if (typeof raw.role !== "string") {
          throw new InvalidRequestError("A message item needs a role.", {
            code: "missing_required_parameter",
            param: `input[${i}].role`,
          });
        }
        checkMessage(raw, i);
        out.push({
          ...raw,
          type: "message",
          id: idOf(raw, "msg"),
          content: contentParts(raw.role, raw.content),
          status: raw.status ?? "completed",
        });
        break;
      }
      case "compaction":
        // Checked now, so a bad blob is a 400 here rather than a confusing turn later.
        if (openCompaction(raw.encrypted_content) === null) {
          throw new InvalidRequestError(
            "The compaction item's encrypted_content was not made by this Herald's " +
              "/v1/responses/compact, or is damaged.",
            { code: "invalid_encrypted_content", param: `input[${i}].encrypted_content` },
          );
        }
        out.push({
          type: "compaction",
          id: idOf(raw, "cmp"),
          encrypted_content: raw.encrypted_content,
        });
        break;
      case "function_call":
        requireStrings(raw, i, ["call_id", "name", "arguments"]);
        out.push({ ...raw, id: idOf(raw, "fc"), status: raw.status ?? "completed" });
        break;
      case "custom_tool_call":
        requireStrings(raw, i, ["call_id", "name", "input"]);
        out.push({ ...raw, id: idOf(raw, "ctc"), status: raw.status ?? "completed" });
        break;
      case "function_call_output":
      case "custom_tool_call_output":
        requireStrings(raw, i, ["call_id"]);
        if (typeof raw.output !== "string" && !Array.isArray(raw.output)) {
          throw new InvalidRequestError(
            `input[${i}] (${type}) needs an output: a string or a list of content parts.`,
            { code: "invalid_value", param: `input[${i}].output` },
          );
        }
        out.push({
          ...raw,
          id: idOf(raw, type === "custom_tool_call_output" ? "ctco" : "fco"),
          status: raw.status ?? "completed",
        });
        break;
      case "item_reference": {
        const id = typeof raw.id === "string" ? raw.id : "";
        const item = id ? await lookup(id) : null;
        if (!item) {
          throw new InvalidRequestError(`Item with id '${id}' not found.`, {
            code: "item_not_found",
            param: `input[${i}].id`,
          });
        }
        out.push(item);
        break;
      }
      case "mcp_call":
      case "mcp_list_tools":
      case "mcp_approval_request": {
        // Herald's own record of an item it made beats the client's echo of it: the Agents SDK
        // resends mcp_call items without their output.
        const stored = typeof raw.id === "string" && raw.id ? await lookup(raw.id) : null;
        out.push(stored?.type === type ? stored : { ...raw, type, id: idOf(raw, "mcp") });
        break;
      }
      default:
        // reasoning, approval answers and other replayed items are kept for the record; the
        // agent's upstream is Chat Completions, which has no place for them.
        out.push({ ...raw, type, id: idOf(raw, "item") });
    }
  }
  return out;
}

const MESSAGE_ROLES = new Set(["user", "assistant", "system", "developer"]);

/** A message's role and content must be what the API allows; a 400 names the item otherwise. */
function checkMessage(raw: Record<string, unknown>, index: number): void {
  if (!MESSAGE_ROLES.has(raw.role as string)) {
    throw new InvalidRequestError(
      `input[${index}] has role '${String(raw.role).slice(0, 40)}'; use user, assistant, ` +
        "system or developer.",
      { code: "invalid_value", param: `input[${index}].role` },
    );
  }
  const content = raw.content;
  if (content == null || typeof content === "string") return;
  if (!Array.isArray(content)) {
    throw new InvalidRequestError(
      `input[${index}].content must be a string or a list of content parts.`,
      { code: "invalid_value", param: `input[${index}].content` },
    );
  }
  content.forEach((part, j) => {
    if (typeof part === "string") return;
    if (part && typeof part === "object" && typeof (part as { type?: unknown }).type !== "number") {
      return;
    }
    throw new InvalidRequestError(
      `input[${index}].content[${j}] must be a content part object such as ` +
        `{"type": "input_text", "text": "…"}.`,
      { code: "invalid_value", param: `input[${index}].content[${j}]` },
    );
  });
}

/** A 400 naming the item and field when one of `fields` is not a string. */
function requireStrings(raw: Record<string, unknown>, index: number, fields: string[]): void {
  for (const field of fields) {
    if (typeof raw[field] === "string") continue;
    throw new InvalidRequestError(
      `input[${index}] (${raw.type}) needs '${field}' as a string` +
        (raw[field] === undefined ? "." : `, not ${JSON.stringify(raw[field])?.slice(0, 40)}.`),
      {
        code: raw[field] === undefined ? "missing_required_parameter" : "invalid_value",
        param: `input[${index}].${field}`,
      },
    );
  }
}

function userMessage(text: string): ResponseItem {
  return {
    id: newId("msg"),
    type: "message",
    role: "user",
    content: [{ type: "input_text", text }],
    status: "completed",
  };
}

/**
 * Message content as stored: always a list of parts, as OpenAI returns input messages
 * (`input_text` for user, system and developer text; `output_text` with annotations for the
 * assistant's).
 */
function contentParts(role: unknown, content: unknown): unknown[] {
  const assistant = role === "assistant";
  const textPart = (text: string) =>
    assistant ? { type: "output_text", text, annotations: [] } : { type: "input_text", text };
  if (typeof content === "string") return [textPart(content)];
  if (!Array.isArray(content)) return [];
  return content.map((p) => {
    if (typeof p === "string") return textPart(p);
    if (!p || typeof p !== "object") return p;
    const part = p as Record<string, unknown>;
    // Chat-style `{type: "text"}` parts and assistant text sent as input_text are renamed.
    if (typeof part.text === "string" && (part.type === "text" || part.type === undefined)) {
      return textPart(part.text);
    }
    if (assistant && part.type === "input_text") return textPart(String(part.text));
    if (assistant && part.type === "output_text" && !Array.isArray(part.annotations)) {
      return { ...part, annotations: [] };
    }
    return part;
  });
}

function idOf(raw: Record<string, unknown>, prefix: string): string {
  return typeof raw.id === "string" && raw.id ? raw.id : newId(prefix);
}

/** Text of item content: a string, or the text of its text-like parts. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => {
    if (!p || typeof p !== "object") return "";
    const part = p as Record<string, unknown>;
    if (typeof part.text === "string") return part.text;
    if (typeof part.refusal === "string") return part.refusal;
    return "";
  }).join("");
}

/** User content: text, or text and image parts. */
function userContent(content: unknown): string | ContentPart[] {
  if (!Array.isArray(content)) return contentText(content);
  const parts: ContentPart[] = [];
  for (const p of content) {
    if (!p || typeof p !== "object") continue;
    const part = p as Record<string, unknown>;
    if (part.type === "input_image") {
      const url = typeof part.image_url === "string"
        ? part.image_url
        : (part.image_url as { url?: string } | undefined)?.url;
      if (!url) continue;
      const detail = part.detail === "low" || part.detail === "high" ? part.detail : "auto";
      parts.push({ type: "image_url", image_url: { url, detail } });
    } else if (part.type === "input_file") {
      const name = typeof part.filename === "string" ? part.filename : "a file";
      parts.push({ type: "text", text: `[${name} attached; files are not supported]` });
    } else if (typeof part.text === "string") {
      parts.push({ type: "text", text: part.text });
    }
  }
  return parts.every((p) => p.type === "text")
    ? parts.map((p) => (p as { text: string }).text).join("")
    : parts;
}

function outputText(output: unknown): string {
  return typeof output === "string" ? output : contentText(output);
}

/**
 * Converts items (a chain's turns, oldest first, then the new input) into agent messages.
 * Function calls join the assistant message before them; a call that never got a result gets a
 * placeholder result, since upstreams reject unanswered calls.
 */
export function itemsToMessages(
  items: ResponseItem[],
  waiting: ReadonlySet<string> = new Set(),
): ChatMessage[] {
  return answerDanglingCalls(itemsToRawMessages(items), waiting);
}

/**
 * Like {@link itemsToMessages}, without the placeholder results: for converting history and
 * input apart (truncation), then answering what still dangles with {@link answerDanglingCalls}.
 */
export function itemsToRawMessages(items: ResponseItem[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  // Approval requests seen so far: a later mcp_call with their id is the call's result.
  const asked = new Set<string>();
  for (const item of items) {
    switch (item.type) {
      case "message": {
        const role = item.role;
        if (role === "user") out.push({ role: "user", content: userContent(item.content) });
        else if (role === "system" || role === "developer") {
          out.push({ role, content: contentText(item.content) });
        } else if (role === "assistant") {
          out.push({ role: "assistant", content: contentText(item.content) });
        }
        break;
      }
      case "function_call":
        appendCall(out, {
          id: String(item.call_id ?? item.id),
          type: "function",
          function: { name: String(item.name ?? ""), arguments: String(item.arguments ?? "") },
        });
        break;
      case "custom_tool_call":
        // Offered upstream as a function taking the raw input as `input` (see request.ts).
        appendCall(out, {
          id: String(item.call_id ?? item.id),
          type: "function",
          function: {
            name: String(item.name ?? ""),
            arguments: JSON.stringify({ input: String(item.input ?? "") }),
          },
        });
        break;
      case "function_call_output":
      case "custom_tool_call_output":
        out.push({
          role: "tool",
          tool_call_id: String(item.call_id),
          content: outputText(item.output),
        });
        break;
      case "mcp_approval_request":
        // A call that waited for approval: the call now, its result when an answer ran it.
        appendCall(out, {
          id: String(item.id),
          type: "function",
          function: { name: String(item.name ?? ""), arguments: String(item.arguments ?? "") },
        });
        asked.add(String(item.id));
        break;
      case "mcp_call": {
        const approvalId = typeof item.approval_request_id === "string"
          ? item.approval_request_id
          : "";
        if (approvalId && asked.has(approvalId)) {
          out.push({ role: "tool", tool_call_id: approvalId, content: mcpResult(item) });
          asked.delete(approvalId);
          break;
        }
        // A call Herald (or an MCP server it knows) ran: the call and its result in one item.
        const call: ToolCall = {
          id: String(item.id),
          type: "function",
          function: { name: String(item.name ?? ""), arguments: String(item.arguments ?? "") },
        };
        appendCall(out, call);
        out.push({ role: "tool", tool_call_id: call.id, content: mcpResult(item) });
        break;
      }
      case "compaction": {
        // Upstreams disagree on system messages mid-conversation; a user message works with all.
        const summary = openCompaction(item.encrypted_content);
        if (summary !== null) {
          out.push({
            role: "user",
            content: `[Summary of the earlier conversation]\n${summary}`,
          });
        }
        break;
      }
    }
  }
  return out;
}

/** What the model was given back for an mcp_call item. */
function mcpResult(item: ResponseItem): string {
  if (typeof item.output === "string") return item.output;
  if (typeof item.error === "string") return item.error;
  if (item.error) return JSON.stringify(item.error);
  return "(no result was recorded for this call)";
}

/** Adds a tool call to the assistant message just before, or to a new one. */
function appendCall(out: ChatMessage[], call: ToolCall): void {
  const last = out.at(-1);
  if (last?.role === "assistant") {
    last.tool_calls = [...(last.tool_calls ?? []), call];
    if (last.content === "") last.content = null;
  } else {
    out.push({ role: "assistant", content: null, tool_calls: [call] });
  }
}

/**
 * Drops input items the chain already holds (a client that resends the whole history beside
 * `previous_response_id`, or references an item of the chain): each item counts once.
 */
export function withoutKnownItems(input: ResponseItem[], history: ResponseItem[]): ResponseItem[] {
  if (history.length === 0) return input;
  const known = new Set(history.map((i) => i.id));
  return input.filter((i) => typeof i.id !== "string" || !known.has(i.id));
}

/**
 * Adds a placeholder result after any tool call that has none, except the calls in `waiting`
 * (answered approvals the agent runs first).
 */
export function answerDanglingCalls(
  messages: ChatMessage[],
  waiting: ReadonlySet<string> = new Set(),
): ChatMessage[] {
  const answered = new Set(
    messages.filter((m) => m.role === "tool").map((m) =>
      (m as { tool_call_id: string }).tool_call_id
    ),
  );
  const out: ChatMessage[] = [];
  for (const [i, m] of messages.entries()) {
    out.push(m);
    if (m.role !== "assistant" || !m.tool_calls) continue;
    // Results must follow their call directly; collect the ones that do.
    let j = i + 1;
    const following = new Set<string>();
    while (j < messages.length && messages[j].role === "tool") {
      following.add((messages[j] as { tool_call_id: string }).tool_call_id);
      j++;
    }
    for (const call of m.tool_calls) {
      if (!following.has(call.id) && !answered.has(call.id) && !waiting.has(call.id)) {
        out.push({
          role: "tool",
          tool_call_id: call.id,
          content: call.id.startsWith("mcpr_")
            ? "not run: it waited for the user's approval, which was not given"
            : "error: no result was provided",
        });
      }
    }
  }
  return out;
}
