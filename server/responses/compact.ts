/**
 * `POST /v1/responses/compact` (Open Responses 2026-04-24): the agent's LLM, with no tools,
 * summarises a conversation — a stored chain, new input items, or both — into one `compaction`
 * item. Sending that item back as input later stands in for everything it summarised.
 * @module
 */
import { Agent } from "../../agent/mod.ts";
import { ChunkAccumulator, UpstreamError } from "../../agent/mod.ts";
import { HeraldError, InvalidRequestError } from "../errors.ts";
import type { LlmClient } from "../../agent/mod.ts";
import { type ChatMessage, textOf, type Usage } from "../../agent/mod.ts";
import { z } from "zod";
import { parseBody, readJsonBody } from "../body.ts";
import { jsonResponse } from "../error_envelope.ts";
import { sealCompaction } from "./compaction.ts";
import type { ResponsesDeps, Summariser } from "./deps.ts";
import { itemsToMessages, newId, normaliseInput } from "./items.ts";
import { responseUsage } from "./response_object.ts";

const CompactRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.union([z.string(), z.looseObject({})]))]).nullish(),
  previous_response_id: z.string().nullish(),
  instructions: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
});

const SYSTEM_PROMPT = [
  "You compact conversations between a user and an AI assistant.",
  "Write a summary that lets the assistant carry on without the original messages: the user's",
  "goals and preferences, facts and decisions, names, numbers, file paths and URLs, what tools",
  "were used and what they found, and what is still open. Be complete but brief. Write plain",
  "text with no preamble.",
].join(" ");

/** Longest text kept per transcript entry; tool outputs can be huge and add little. */
const ENTRY_CHARS = 4_000;

/**
 * A summariser that calls the LLM directly, with no tools offered.
 *
 * @example
 * ```ts
 * const summarise = llmSummariser(agent.options.llm);
 * ```
 */
export function llmSummariser(llm: Pick<LlmClient, "stream">): Summariser {
  return async (prompt, signal) => {
    const acc = new ChunkAccumulator();
    for await (const chunk of llm.stream({ messages: prompt as never }, signal)) acc.add(chunk);
    return { text: acc.text.trim(), usage: acc.usage };
  };
}

/** Handles `POST /v1/responses/compact`. */
export async function compactResponse(req: Request, deps: ResponsesDeps): Promise<Response> {
  const request = parseBody(CompactRequestSchema, await readJsonBody(req, deps.maxBodyBytes));
  const summarise = deps.summariser ??
    (deps.agent instanceof Agent ? llmSummariser(deps.agent.options.llm) : null);
  if (!summarise) {
    throw new HeraldError("Compaction is not available: no LLM is configured for it.", {
      status: 501,
      type: "server_error",
      code: "not_implemented",
    });
  }
  const history = [];
  if (request.previous_response_id) {
    const meta = await deps.store.meta(request.previous_response_id);
    if (!meta) {
      throw new InvalidRequestError(
        `Previous response with id '${request.previous_response_id}' not found.`,
        { code: "previous_response_not_found", param: "previous_response_id" },
      );
    }
    for (const turn of await deps.store.history(meta.id)) {
      history.push(...turn.input, ...turn.output);
    }
  }
  const input = request.input == null ? [] : await normaliseInput(
    request.input as string | Record<string, unknown>[],
    (id) => deps.store.findItem(id),
  );
  const messages = itemsToMessages([...history, ...input]);
  if (messages.length === 0) {
    throw new InvalidRequestError(
      "Nothing to compact: send input items, a previous_response_id, or both.",
      { code: "missing_required_parameter", param: "input" },
    );
  }
  const prompt: ChatMessage[] = [
    { role: "system", content: SYSTEM_PROMPT },
    {
      role: "user",
      content: [
        ...(request.instructions ? [`The assistant's instructions: ${request.instructions}`] : []),
        "The conversation so far:",
        transcript(messages),
        "Write the summary now.",
      ].join("\n\n"),
    },
  ];
  const controller = new AbortController();
  let result: { text: string; usage: Usage };
  try {
    result = await summarise(prompt, controller.signal);
  } catch (error) {
    if (error instanceof HeraldError) throw error;
    throw new UpstreamError(`Compaction failed: the LLM call failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!result.text) {
    throw new UpstreamError("Compaction failed: the LLM returned an empty summary.");
  }
  return jsonResponse({
    id: newId("resp"),
    object: "response.compaction",
    output: [{
      type: "compaction",
      id: newId("cmp"),
      encrypted_content: sealCompaction(result.text),
    }],
    created_at: Math.floor(Date.now() / 1000),
    usage: responseUsage(result.usage),
  });
}

/** The conversation as plain text: one entry per message, tool calls and results spelled out. */
function transcript(messages: ChatMessage[]): string {
  const clip = (text: string) =>
    text.length > ENTRY_CHARS ? `${text.slice(0, ENTRY_CHARS)} […]` : text;
  const lines: string[] = [];
  for (const m of messages) {
    if (m.role === "tool") {
      lines.push(`Tool result (${m.tool_call_id}): ${clip(m.content)}`);
      continue;
    }
    const text = m.role === "assistant" ? m.content ?? "" : textOf(m.content);
    const images = Array.isArray(m.content)
      ? m.content.filter((p) => p.type === "image_url").length
      : 0;
    if (text || images) {
      lines.push(`${label(m.role)}: ${clip(text)}${images ? ` [${images} image(s)]` : ""}`);
    }
    if (m.role === "assistant") {
      for (const call of m.tool_calls ?? []) {
        lines.push(
          `Assistant called ${call.function.name} (${call.id}): ${clip(call.function.arguments)}`,
        );
      }
    }
  }
  return lines.join("\n");
}

function label(role: ChatMessage["role"]): string {
  return role === "user" ? "User" : role === "assistant" ? "Assistant" : "System";
}
