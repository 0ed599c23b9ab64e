/**
 * The Chat Completions request: a lenient zod schema (unknown fields accepted and ignored) and
 * its conversion into an AgentTurn.
 * @module
 */
import { z } from "zod";
import type { AgentTurn, UpstreamParams } from "../agent/mod.ts";
import { InvalidRequestError } from "./errors.ts";
import type { ChatMessage, ClientTool, ContentPart } from "../agent/mod.ts";

const TextPartSchema = z.looseObject({ type: z.literal("text"), text: z.string() });
const ImagePartSchema = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.union([
    z.string(),
    z.looseObject({ url: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }),
  ]),
});
const AnyPartSchema = z.looseObject({ type: z.string() });
const ContentSchema = z.union([z.string(), z.array(AnyPartSchema), z.null()]);

const ToolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string().default("") }),
});

const MessageSchema = z.discriminatedUnion("role", [
  z.looseObject({ role: z.literal("system"), content: ContentSchema }),
  z.looseObject({ role: z.literal("developer"), content: ContentSchema }),
  z.looseObject({ role: z.literal("user"), content: ContentSchema, name: z.string().optional() }),
  z.looseObject({
    role: z.literal("assistant"),
    content: ContentSchema.optional(),
    tool_calls: z.array(ToolCallSchema).nullish(),
    reasoning_content: z.string().nullish(),
  }),
  z.looseObject({ role: z.literal("tool"), tool_call_id: z.string(), content: ContentSchema }),
  z.looseObject({ role: z.literal("function"), name: z.string(), content: ContentSchema }),
]);

const FunctionToolSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

/** The accepted request body; unknown fields pass through and are ignored. */
export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().optional(),
  messages: z.array(MessageSchema).min(1, "messages must contain at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(z.union([FunctionToolSchema, z.looseObject({ type: z.string() })])).nullish(),
  tool_choice: z.unknown().optional(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  response_format: z.looseObject({ type: z.enum(["text", "json_object", "json_schema"]) })
    .nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning_effort: z.string().nullish(),
  service_tier: z.string().nullish(),
  user: z.string().nullish(),
});

/** A parsed request. */
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

function convertParts(
  content: z.infer<typeof ContentSchema> | undefined,
  param: string,
  allowImages: boolean,
): string | ContentPart[] {
  if (content == null) return "";
  if (typeof content === "string") return content;
  const parts: ContentPart[] = [];
  content.forEach((part, i) => {
    const text = TextPartSchema.safeParse(part);
    if (text.success) {
      parts.push({ type: "text", text: text.data.text });
      return;
    }
    const image = ImagePartSchema.safeParse(part);
    if (image.success && allowImages) {
      const img = image.data.image_url;
      parts.push({
        type: "image_url",
        image_url: typeof img === "string" ? { url: img } : { url: img.url, detail: img.detail },
      });
      return;
    }
    throw new InvalidRequestError(
      `Content part type '${part.type}' is not supported here` +
        (allowImages ? "; send text or image_url parts." : "; send text parts."),
      { code: "unsupported_content_type", param: `${param}[${i}]` },
    );
  });
  // A text-only array collapses to a string, which every upstream accepts.
  return parts.every((p) => p.type === "text")
    ? parts.map((p) => (p as { text: string }).text).join("")
    : parts;
}

function asText(content: string | ContentPart[]): string {
  return typeof content === "string"
    ? content
    : content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/** Converts the request's messages into the agent's messages, validating content parts. */
export function toChatMessages(request: ChatCompletionRequest): ChatMessage[] {
  const out: ChatMessage[] = [];
  request.messages.forEach((m, i) => {
    const param = `messages[${i}].content`;
    switch (m.role) {
      case "system":
      case "developer":
        out.push({ role: m.role, content: asText(convertParts(m.content, param, false)) });
        break;
      case "user":
        out.push({ role: "user", content: convertParts(m.content, param, true) });
        break;
      case "assistant": {
        const calls = (m.tool_calls ?? []).map((c) => ({
          id: c.id,
          type: "function" as const,
          function: { name: c.function.name, arguments: c.function.arguments },
        }));
        const text = asText(convertParts(m.content, param, false));
        out.push({
          role: "assistant",
          content: text || (calls.length ? null : ""),
          ...(calls.length ? { tool_calls: calls } : {}),
        });
        break;
      }
      case "tool":
        out.push({
          role: "tool",
          tool_call_id: m.tool_call_id,
          content: asText(convertParts(m.content, param, false)),
        });
        break;
      case "function":
        // Legacy function results carry no call id; give the model the result as user context.
        out.push({
          role: "user",
          content: `Result of function ${m.name}: ${asText(convertParts(m.content, param, false))}`,
        });
        break;
    }
  });
  if (!out.some((m) => m.role === "user")) {
    throw new InvalidRequestError("messages must contain at least one user message.", {
      code: "invalid_value",
      param: "messages",
    });
  }
  return out;
}

/** The client's function tools (other tool types are ignored). */
export function toClientTools(request: ChatCompletionRequest): ClientTool[] {
  const tools: ClientTool[] = [];
  for (const t of request.tools ?? []) {
    const parsed = FunctionToolSchema.safeParse(t);
    if (!parsed.success) continue;
    const f = parsed.data.function;
    tools.push({
      name: f.name,
      description: f.description,
      parameters: f.parameters,
      ...(f.strict != null ? { strict: f.strict } : {}),
    });
  }
  return tools;
}

/** Builds the agent turn for a request. */
export function toAgentTurn(request: ChatCompletionRequest): AgentTurn {
  const clientTools = toClientTools(request);
  return {
    platform: "api_server",
    messages: toChatMessages(request),
    clientTools,
    toolChoice: clientTools.length ? request.tool_choice : undefined,
    temperature: request.temperature ?? undefined,
    topP: request.top_p ?? undefined,
    maxOutputTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    upstreamParams: upstreamParamsOf(request),
  };
}

/** The parameters passed to the model as they are (`response_format: text` is the default). */
export function upstreamParamsOf(request: ChatCompletionRequest): UpstreamParams {
  const format = request.response_format;
  return definedOnly({
    response_format: format && format.type !== "text" ? format : undefined,
    stop: request.stop ?? undefined,
    seed: request.seed ?? undefined,
    presence_penalty: request.presence_penalty ?? undefined,
    frequency_penalty: request.frequency_penalty ?? undefined,
    logit_bias: request.logit_bias ?? undefined,
    parallel_tool_calls: request.parallel_tool_calls ?? undefined,
    reasoning_effort: request.reasoning_effort ?? undefined,
    service_tier: request.service_tier ?? undefined,
    user: request.user ?? undefined,
  });
}

/** A copy without the undefined fields. */
export function definedOnly<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as T;
}
