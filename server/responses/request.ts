/**
 * The `POST /v1/responses` request: a lenient zod schema (unknown fields accepted), matching
 * what the OpenAI SDKs, the Vercel AI SDK, LangChain and Open WebUI send.
 * @module
 */
import { z } from "zod";
import type { ClientTool, UpstreamParams } from "../../agent/mod.ts";
import { InvalidRequestError } from "../errors.ts";
import { MetadataSchema } from "./metadata.ts";

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

const ToolNamesSchema = z.union([
  z.array(z.string()),
  z.looseObject({ tool_names: z.array(z.string()).nullish() }),
]);

const McpToolSchema = z.looseObject({
  type: z.literal("mcp"),
  server_label: z.string().min(1),
  server_url: z.string().nullish(),
  allowed_tools: ToolNamesSchema.nullish(),
  require_approval: z.union([
    z.enum(["always", "never"]),
    z.looseObject({
      always: z.looseObject({ tool_names: z.array(z.string()).nullish() }).nullish(),
      never: z.looseObject({ tool_names: z.array(z.string()).nullish() }).nullish(),
    }),
  ]).nullish(),
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
  metadata: MetadataSchema.nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  top_logprobs: z.number().int().min(0).nullish(),
  service_tier: z.string().nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
});

const CustomToolSchema = z.looseObject({
  type: z.literal("custom"),
  name: z.string().min(1),
  description: z.string().nullish(),
  format: z.looseObject({ type: z.string() }).nullish(),
});

/** A declared custom (freeform) tool in the form the Response object echoes. */
export interface EchoedCustomTool {
  type: "custom";
  name: string;
  description: string | null;
  format: Record<string, unknown>;
}

/** The request's custom tools: freeform-input tools such as Codex's `apply_patch`. */
export function customTools(request: ResponseRequest): EchoedCustomTool[] {
  const out: EchoedCustomTool[] = [];
  for (const [i, tool] of (request.tools ?? []).entries()) {
    if (tool.type !== "custom") continue;
    const parsed = CustomToolSchema.safeParse(tool);
    if (!parsed.success) {
      throw new InvalidRequestError(`tools[${i}] is not a valid custom tool: it needs a name.`, {
        code: "invalid_value",
        param: `tools[${i}].name`,
      });
    }
    out.push({
      type: "custom",
      name: parsed.data.name,
      description: parsed.data.description ?? null,
      format: parsed.data.format ?? { type: "text" },
    });
  }
  return out;
}

/**
 * A custom tool as a Chat Completions upstream can take it: a function whose one string
 * argument, `input`, is the tool's raw input. (Few upstreams know `custom` tools; every one knows
 * functions.) The call comes back to the client as a `custom_tool_call` item.
 */
export function customToolAsFunction(tool: EchoedCustomTool): ClientTool {
  const format = tool.format as { type: string; syntax?: string; definition?: string };
  const grammar = format.type === "grammar" && format.definition
    ? ` The input must match this ${format.syntax ?? ""} grammar:\n${format.definition}`
    : "";
  return {
    name: tool.name,
    description: `${tool.description ?? ""}\n\nPass the tool's whole raw input as the string ` +
      `argument \`input\`.${grammar}`.trim(),
    parameters: {
      type: "object",
      properties: { input: { type: "string", description: "The raw input for this tool." } },
      required: ["input"],
      additionalProperties: false,
    },
  };
}

/** Tool types a client may declare and Herald can serve. */
const SERVED_TOOL_TYPES = new Set(["function", "custom", "mcp"]);

/**
 * The declared tool types Herald cannot serve (hosted tools of OpenAI's such as `web_search`,
 * `file_search`, `code_interpreter`): they are left out of the turn, not refused.
 */
export function unservedToolTypes(request: ResponseRequest): string[] {
  return [...new Set((request.tools ?? []).map((t) => t.type))]
    .filter((type) => !SERVED_TOOL_TYPES.has(type));
}

/**
 * The Responses `tool_choice` in Chat Completions terms: `{type: "function", name}` and
 * `{type: "custom", name}` name a function, `allowed_tools` keeps its mode, a hosted tool
 * choice (which Herald cannot force) becomes `auto`.
 */
export function upstreamToolChoice(choice: unknown): unknown {
  if (choice == null || typeof choice === "string") return choice ?? undefined;
  const c = choice as { type?: string; name?: string; mode?: string };
  if ((c.type === "function" || c.type === "custom") && typeof c.name === "string") {
    return { type: "function", function: { name: c.name } };
  }
  if (c.type === "allowed_tools") return c.mode === "required" ? "required" : "auto";
  return "auto";
}

const TextFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
    description: z.string().nullish(),
  }),
]);

/**
 * The request's parameters for the model, in Chat Completions terms: `text.format` becomes
 * `response_format`, `reasoning.effort` becomes `reasoning_effort`. A malformed `text.format` is a
 * 400 naming the field.
 */
export function upstreamParams(request: ResponseRequest): UpstreamParams {
  const params: UpstreamParams = {};
  const format = (request.text as { format?: unknown } | null | undefined)?.format;
  if (format != null) {
    const parsed = TextFormatSchema.safeParse(format);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = ["text", "format", ...issue.path.map(String)].join(".");
      throw new InvalidRequestError(`${path}: ${issue.message}`, {
        code: "invalid_value",
        param: path,
      });
    }
    const f = parsed.data;
    if (f.type === "json_object") params.response_format = { type: "json_object" };
    if (f.type === "json_schema") {
      params.response_format = {
        type: "json_schema",
        json_schema: {
          name: f.name,
          schema: f.schema,
          ...(f.strict != null ? { strict: f.strict } : {}),
          ...(f.description != null ? { description: f.description } : {}),
        },
      };
    }
  }
  const effort = (request.reasoning as { effort?: unknown } | null | undefined)?.effort;
  if (typeof effort === "string") params.reasoning_effort = effort;
  if (request.parallel_tool_calls != null) params.parallel_tool_calls = request.parallel_tool_calls;
  if (request.presence_penalty != null) params.presence_penalty = request.presence_penalty;
  if (request.frequency_penalty != null) params.frequency_penalty = request.frequency_penalty;
  if (request.service_tier != null) params.service_tier = request.service_tier;
  if (request.seed != null) params.seed = request.seed;
  if (request.stop != null) params.stop = request.stop;
  if (request.logit_bias != null) params.logit_bias = request.logit_bias;
  if (request.user != null) params.user = request.user;
  return params;
}

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

/** What a client asks of one of the tool sources (`server_label`s) Herald offers. */
export interface DeclaredMcpServer {
  /** `herald` for Herald's own tools, or the label of an MCP server Herald is configured with. */
  serverLabel: string;
  /** The only tools of this source the model may use, when the client limited them. */
  allowedTools: string[] | null;
  /**
   * The approval the client asks for on a call of this tool: "always", "never", or null when it
   * said nothing about it. Herald's own approval policy is the floor: "never" cannot lower it.
   */
  requireApproval(toolName: string): "always" | "never" | null;
  /** The tool as the Response object echoes it (never its headers or authorization). */
  echo: Record<string, unknown>;
}

/**
 * The request's `{type: "mcp"}` tools. Herald never connects to a `server_url` a request names:
 * a declaration stands for a tool source Herald already has — `herald` (its own tools) or a
 * configured MCP server — and lets the client limit its tools and ask for approvals.
 *
 * @throws InvalidRequestError for a malformed declaration or a label Herald does not know.
 */
export function mcpServers(
  request: ResponseRequest,
  known: readonly string[],
): DeclaredMcpServer[] {
  const out: DeclaredMcpServer[] = [];
  for (const [i, tool] of (request.tools ?? []).entries()) {
    if (tool.type !== "mcp") continue;
    const parsed = McpToolSchema.safeParse(tool);
    if (!parsed.success) {
      throw new InvalidRequestError(
        `tools[${i}] is not a valid mcp tool: ${parsed.error.issues[0]?.message ?? "invalid"}.`,
        { code: "invalid_value", param: `tools[${i}]` },
      );
    }
    const t = parsed.data;
    if (!known.includes(t.server_label)) {
      throw new InvalidRequestError(
        `tools[${i}] names the MCP server '${t.server_label}', which this Herald does not have. ` +
          `Herald never connects to a server_url sent in a request; known server labels: ` +
          `${known.join(", ")}.`,
        { code: "unknown_mcp_server", param: `tools[${i}].server_label` },
      );
    }
    const allowed = t.allowed_tools == null
      ? null
      : Array.isArray(t.allowed_tools)
      ? t.allowed_tools
      : t.allowed_tools.tool_names ?? null;
    const policy = t.require_approval;
    out.push({
      serverLabel: t.server_label,
      allowedTools: allowed,
      requireApproval(name) {
        if (policy == null) return null;
        if (typeof policy === "string") return policy;
        if (policy.always?.tool_names?.includes(name)) return "always";
        if (policy.never?.tool_names?.includes(name)) return "never";
        return null;
      },
      echo: {
        type: "mcp",
        server_label: t.server_label,
        ...(t.server_url ? { server_url: t.server_url } : {}),
        allowed_tools: t.allowed_tools ?? null,
        require_approval: t.require_approval ?? null,
      },
    });
  }
  return out;
}
