/**
 * The `POST /v1/responses` request: a lenient zod schema (unknown fields accepted), matching
 * what the OpenAI SDKs, the Vercel AI SDK, LangChain and Open WebUI send.
 * @module
 */
import { z } from "zod";

const ItemSchema = z.looseObject({
  type: z.string().optional(),
  id: z.string().optional(),
});

const FunctionToolSchema = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** The accepted request body. */
export const ResponseRequestSchema = z.looseObject({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(z.union([z.string(), ItemSchema]))]),
  instructions: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  conversation: z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) })]).nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  background: z.boolean().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: z.unknown().optional(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  max_tool_calls: z.number().int().positive().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  truncation: z.enum(["auto", "disabled"]).nullish(),
  text: z.looseObject({}).nullish(),
  reasoning: z.looseObject({}).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
});

/** A parsed request. */
export type ResponseRequest = z.infer<typeof ResponseRequestSchema>;

/** A declared function tool in the normalised form the Response object echoes. */
export interface EchoedFunctionTool {
  type: "function";
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

/** The request's function tools, normalised (other tool types are ignored). */
export function functionTools(request: ResponseRequest): EchoedFunctionTool[] {
  const out: EchoedFunctionTool[] = [];
  for (const tool of request.tools ?? []) {
    const parsed = FunctionToolSchema.safeParse(tool);
    if (!parsed.success) continue;
    out.push({
      type: "function",
      name: parsed.data.name,
      description: parsed.data.description ?? null,
      parameters: parsed.data.parameters ?? null,
      strict: parsed.data.strict ?? null,
    });
  }
  return out;
}

/** The conversation name a request names, if any. */
export function conversationName(request: ResponseRequest): string | null {
  const c = request.conversation;
  if (c == null) return null;
  return typeof c === "string" ? c : c.id;
}
