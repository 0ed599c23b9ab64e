/**
 * The one configuration schema: keys, types, defaults, environment names and descriptions.
 * The loader, `herald config show` and docs/configuration.md all follow it.
 * Each leaf may carry `.meta({ env: [...] })`: the environment variables that set it, first
 * name preferred, later names accepted as aliases.
 * @module
 */
import { z } from "zod";
import { McpServersSchema, McpSettingsSchema } from "./mcp_schema.ts";

/** Attaches environment names and a description to a leaf. */
function env<T extends z.ZodType>(schema: T, names: string[], description: string): T {
  return schema.meta({ env: names, description });
}

/** Attaches a description to a leaf that has no environment variable. */
function doc<T extends z.ZodType>(schema: T, description: string): T {
  return schema.meta({ description });
}

const port = z.number().int().min(0).max(65535);
const seconds = z.number().positive();
const stringList = z.array(z.string());
/**
 * never: run everything the sandbox allows; dangerous: ask for calls the tool flags (the
 * terminal's command classifier…); always: ask for every call of a tool that is not read-only.
 */
const approvalMode = z.enum(["never", "dangerous", "always"]).default("dangerous");

/** A platform's tool progress message setting. */
function toolProgress() {
  return doc(
    z.enum(["off", "new", "all"]).default("new"),
    "A small message naming the tools being run: off, new (each new tool) or all (every call).",
  );
}

/** What a key may do: everything, only read its own stored objects, or chat without server tools. */
export const KEY_SCOPES = ["full", "read", "chat"] as const;

/** A named API key in `api_server.keys`: the key itself or a file holding it, and its scope. */
export const NamedKeySchema = z.object({
  name: z.string().regex(
    /^[a-z0-9][a-z0-9_.-]{0,63}$/i,
    "a name of letters, digits, '.', '_' or '-' (at most 64)",
  ),
  key: z.string().optional(),
  key_file: z.string().optional(),
  scope: z.enum(KEY_SCOPES).default("full"),
}).refine((entry) => (entry.key === undefined) !== (entry.key_file === undefined), {
  message: "exactly one of key or key_file",
});

/** A fallback model used when the primary keeps failing. */
export const FallbackModelSchema = z.object({
  name: z.string().min(1),
  base_url: z.url().optional(),
  api_key: z.string().optional(),
});

/** A model route: a name clients send as `model`, and the upstream model it runs on. */
export const ModelRouteSchema = z.object({
  model: z.string().min(1),
  base_url: z.url().optional(),
  api_key: z.string().optional(),
});

/** Names of every built-in server tool, in the order they are offered to the model. */
export const ALL_TOOL_NAMES = [
  "terminal",
  "read_file",
  "write_file",
  "patch",
  "search_files",
  "web_fetch",
  "memory",
] as const;

/**
 * One toolset entry: a built-in tool name, `mcp` (every MCP server), `mcp:<server>` (one server's
 * tools) or `mcp:<server>/<tool>` (one tool); a leading `-` removes what the entry names.
 */
export const TOOLSET_ENTRY = new RegExp(
  `^-?(?:${ALL_TOOL_NAMES.join("|")}|mcp|mcp:[A-Za-z0-9][A-Za-z0-9_-]{0,31}(?:/.+)?)$`,
);

/** The default toolset: every built-in tool and every MCP server. */
export const DEFAULT_TOOLSET: readonly string[] = [...ALL_TOOL_NAMES, "mcp"];

function toolset() {
  return z.array(
    z.string().regex(TOOLSET_ENTRY, {
      message: `expected a tool name (${
        ALL_TOOL_NAMES.join(", ")
      }), mcp, mcp:<server> or mcp:<server>/<tool>, optionally with a leading -`,
    }),
  ).default([...DEFAULT_TOOLSET]);
}

/** The whole configuration. Every key has a default, so `{}` parses. */
export const ConfigSchema = z.object({
  model: z.object({
    name: env(
      z.string().min(1).default("gpt-4.1-mini"),
      ["HERALD_MODEL", "LLM_MODEL", "HERMES_MODEL"],
      "The upstream model the agent uses.",
    ),
    base_url: env(
      z.url().optional(),
      ["OPENAI_BASE_URL"],
      "OpenAI-compatible upstream base URL. Default: https://api.openai.com/v1 when an API key is set, otherwise a local Ollama at http://127.0.0.1:11434/v1.",
    ),
    api_key: env(z.string().optional(), ["OPENAI_API_KEY"], "The upstream API key."),
    context_tokens: env(
      z.number().int().min(1000).default(100_000),
      ["HERALD_CONTEXT_TOKENS"],
      'The model\'s context budget in tokens (estimated); `truncation: "auto"` on the Responses API drops the oldest turns to fit it.',
    ),
    fallbacks: doc(
      z.array(FallbackModelSchema).default([]),
      "Models tried in order when the primary keeps failing; each may name its own base_url and api_key.",
    ),
  }).prefault({}),
  models: doc(
    z.record(z.string().min(1), ModelRouteSchema).default({}),
    "Model routes: a name clients send as `model` → `{model, base_url?, api_key?}` (without base_url: the default upstream and its key). Listed by /v1/models; `api_server.model_name` always means `model.name`.",
  ),
  agent: z.object({
    max_iterations: env(
      z.number().int().min(1).default(90),
      ["HERALD_MAX_ITERATIONS", "HERMES_MAX_ITERATIONS"],
      "The most LLM calls one turn may make before it ends as incomplete.",
    ),
    system_prompt: doc(
      z.string().optional(),
      "Extra text appended to the core system prompt on every turn.",
    ),
  }).prefault({}),
  llm: z.object({
    connect_timeout: doc(
      seconds.default(10),
      "Seconds to wait for the upstream to answer headers (a streamed call; see request_timeout).",
    ),
    first_token_timeout: doc(seconds.default(120), "Seconds to wait for the first streamed token."),
    stale_timeout: doc(
      seconds.default(180),
      "Seconds without any bytes from a streaming upstream before the call is aborted.",
    ),
    request_timeout: doc(
      seconds.default(600),
      "Seconds a whole (non-streamed) upstream answer may take, asked for when the client did not ask for a stream.",
    ),
    max_retries: doc(
      z.number().int().min(0).max(10).default(3),
      "Retries for 429, 5xx and connection errors (with backoff and jitter, honouring Retry-After).",
    ),
  }).prefault({}),
  workspace: env(
    z.string().optional(),
    ["HERALD_WORKSPACE"],
    "The directory the tools work in. Default: the directory herald was started in.",
  ),
  api_server: z.object({
    enabled: env(z.boolean().default(true), ["API_SERVER_ENABLED"], "Serve the HTTP API."),
    host: env(z.string().min(1).default("127.0.0.1"), ["API_SERVER_HOST"], "Address to bind."),
    port: env(port.default(8642), ["API_SERVER_PORT"], "Port to listen on."),
    key: env(
      z.string().optional(),
      ["API_SERVER_KEY"],
      "The bearer key clients must send. Default: generated at first start and kept in $HERALD_HOME/api_key.",
    ),
    keys: env(
      z.array(z.union([z.string(), NamedKeySchema])).default([]),
      ["API_SERVER_KEYS"],
      "More accepted keys, one per client: in config.yaml a list of `{name, key | key_file, scope}` (scope full, read or chat; see docs/security.md); a bare string (and each comma-separated key in the environment) is a full key named `key-` and 8 hex digits of its hash. Keys added with `herald key add` live in $HERALD_HOME/keys.json.",
    ),
    auth: env(
      z.boolean().default(true),
      ["API_SERVER_AUTH"],
      "Require the bearer key. `false` is accepted only on a loopback bind; start-up refuses it on any other address.",
    ),
    model_name: env(
      z.string().min(1).default("herald"),
      ["API_SERVER_MODEL_NAME"],
      "The model id clients see in /v1/models and send as `model`.",
    ),
    web_ui: env(
      z.boolean().default(true),
      ["API_SERVER_WEB_UI"],
      "Serve the built-in web chat at `/` (docs/web.md). `false`: `/` and its assets are 404.",
    ),
    cors_origins: env(
      stringList.default([]),
      ["API_SERVER_CORS_ORIGINS"],
      "Browser origins allowed to call the API (exact match; `*` only when written). Empty: no CORS.",
    ),
    allowed_hosts: env(
      stringList.default([]),
      ["API_SERVER_ALLOWED_HOSTS"],
      "Extra Host header names accepted besides localhost, 127.0.0.1 and [::1].",
    ),
    trusted_proxies: env(
      stringList.default([]),
      ["API_SERVER_TRUSTED_PROXIES"],
      "Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed: the client address used for logs and the failed-auth throttle is then the last address the proxies did not add.",
    ),
    body_timeout: env(
      seconds.default(30),
      ["API_SERVER_BODY_TIMEOUT"],
      "Seconds a request body may go without a byte arriving before the request is answered 408.",
    ),
    max_concurrent_runs: doc(
      z.number().int().min(1).default(16),
      "Agent runs at once; more get 429 with Retry-After.",
    ),
    max_body_bytes: doc(
      z.number().int().min(1024).default(10 * 1024 * 1024),
      "Largest accepted request body.",
    ),
    shutdown_grace: doc(
      seconds.default(30),
      "Seconds running turns get to finish on SIGINT/SIGTERM before they are aborted.",
    ),
    unknown_model: doc(
      z.enum(["default", "reject"]).default("default"),
      "A request naming a model that is not a route: `default` runs it on `model.name` (clients that send their own model ids keep working), `reject` answers 404 `model_not_found`.",
    ),
    websocket_max_minutes: doc(
      z.number().positive().default(60),
      "Longest life of a Responses WebSocket connection; then it ends with " +
        "`websocket_connection_limit_reached` and the client reconnects.",
    ),
  }).prefault({}),
  store: z.object({
    kv_path: env(
      z.string().optional(),
      ["HERALD_KV_PATH"],
      "Deno KV location: a file path, `:memory:`, or an https URL (KV Connect). Default: $HERALD_HOME/herald.kv.",
    ),
    retention_days: doc(
      z.number().positive().default(30),
      "Stored responses older than this many days are removed.",
    ),
  }).prefault({}),
  streaming: z.object({
    enabled: env(
      z.boolean().default(true),
      ["HERALD_STREAMING_ENABLED", "HERMES_STREAMING_ENABLED"],
      "Stream replies token by token where the platform allows it.",
    ),
    telegram: doc(z.boolean().optional(), "Overrides `streaming.enabled` for Telegram."),
    discord: doc(z.boolean().optional(), "Overrides `streaming.enabled` for Discord."),
    slack: doc(z.boolean().optional(), "Overrides `streaming.enabled` for Slack."),
    api_server: doc(z.boolean().optional(), "Overrides `streaming.enabled` for the HTTP API."),
    edit_interval: doc(
      seconds.default(1.5),
      "Seconds between message edits (Telegram, Discord, Slack) while a reply streams.",
    ),
    min_tokens: doc(
      z.number().int().min(0).default(20),
      "Tokens to collect before the first preview message appears.",
    ),
  }).prefault({}),
  telegram: z.object({
    bot_token: env(z.string().optional(), ["TELEGRAM_BOT_TOKEN"], "Enables the Telegram bot."),
    api_root: env(
      z.url().default("https://api.telegram.org"),
      ["TELEGRAM_API_ROOT"],
      "Bot API base URL (a self-hosted Bot API server, or an emulator in tests).",
    ),
    allowed_users: env(
      stringList.default([]),
      ["TELEGRAM_ALLOWED_USERS"],
      "Numeric user ids or @usernames allowed to talk to the bot (comma-separated in the environment).",
    ),
    allow_all_users: env(
      z.boolean().default(false),
      ["TELEGRAM_ALLOW_ALL_USERS"],
      "Let anyone talk to the bot.",
    ),
    reply_to_mode: env(
      z.enum(["off", "first", "all"]).default("first"),
      ["TELEGRAM_REPLY_TO_MODE"],
      "Which reply chunks quote the user's message: off, first or all.",
    ),
    require_mention: doc(z.boolean().default(true), "In groups, answer only when mentioned."),
    tool_progress: toolProgress(),
    webhook_url: env(
      z.url().optional(),
      ["TELEGRAM_WEBHOOK_URL"],
      "Public URL for webhook mode; long polling when unset.",
    ),
    webhook_secret: env(
      z.string().optional(),
      ["TELEGRAM_WEBHOOK_SECRET"],
      "Secret token Telegram sends with webhook calls (letters, digits, `_` and `-`). Held to the API key strength rule: at least 16 characters and not a placeholder. Default: derived from the bot token.",
    ),
  }).prefault({}),
  discord: z.object({
    bot_token: env(z.string().optional(), ["DISCORD_BOT_TOKEN"], "Enables the Discord bot."),
    api_root: env(
      z.url().default("https://discord.com/api"),
      ["DISCORD_API_ROOT"],
      "Discord REST API base URL; the gateway URL is asked from it (an emulator in tests).",
    ),
    allowed_users: env(
      stringList.default([]),
      ["DISCORD_ALLOWED_USERS"],
      "Discord user ids or usernames allowed to talk to the bot (comma-separated in the environment).",
    ),
    allow_all_users: env(
      z.boolean().default(false),
      ["DISCORD_ALLOW_ALL_USERS"],
      "Let anyone talk to the bot.",
    ),
    reply_to_mode: env(
      z.enum(["off", "first", "all"]).default("first"),
      ["DISCORD_REPLY_TO_MODE"],
      "Which reply chunks reference (reply to) the user's message: off, first or all.",
    ),
    require_mention: env(
      z.boolean().default(true),
      ["DISCORD_REQUIRE_MENTION"],
      "In server channels and threads, answer only when mentioned or replied to.",
    ),
    tool_progress: toolProgress(),
  }).prefault({}),
  slack: z.object({
    bot_token: env(
      z.string().optional(),
      ["SLACK_BOT_TOKEN"],
      "The bot token (xoxb-…); enables the Slack app.",
    ),
    app_token: env(
      z.string().optional(),
      ["SLACK_APP_TOKEN"],
      "The app-level token (xapp-…, scope connections:write) Socket Mode connects with.",
    ),
    signing_secret: env(
      z.string().optional(),
      ["SLACK_SIGNING_SECRET"],
      "The signing secret that verifies HTTP Events API requests (mode http).",
    ),
    mode: env(
      z.enum(["socket", "http"]).default("socket"),
      ["SLACK_MODE"],
      "socket: Socket Mode, no public URL needed; http: Slack POSTs events to `events_path`.",
    ),
    events_path: doc(
      z.string().startsWith("/").default("/slack/events"),
      "The path Herald serves the Events API, slash commands and interactivity on (mode http).",
    ),
    api_root: env(
      z.url().default("https://slack.com/api"),
      ["SLACK_API_ROOT"],
      "Slack Web API base URL; the Socket Mode URL is asked from it (an emulator in tests).",
    ),
    allowed_users: env(
      stringList.default([]),
      ["SLACK_ALLOWED_USERS"],
      "Slack member ids (U…) allowed to talk to the app (comma-separated in the environment).",
    ),
    allow_all_users: env(
      z.boolean().default(false),
      ["SLACK_ALLOW_ALL_USERS"],
      "Let anyone in the workspace talk to the app.",
    ),
    reply_to_mode: env(
      z.enum(["off", "first", "all"]).default("first"),
      ["SLACK_REPLY_TO_MODE"],
      "Whether a reply to a channel message outside a thread starts a thread under it (first or all, the same on Slack: every message of the reply goes into that thread) or is posted in the channel (off). Replies to a message in a thread always stay in that thread.",
    ),
    require_mention: env(
      z.boolean().default(true),
      ["SLACK_REQUIRE_MENTION"],
      "In channels, answer only messages that mention the app (or continue a thread it is in).",
    ),
    tool_progress: toolProgress(),
  }).prefault({}),
  tools: z.object({
    sandbox: env(
      z.enum(["read-only", "workspace-write", "off"]).default("workspace-write"),
      ["HERALD_SANDBOX"],
      "How the OS confines the terminal and file tools: `workspace-write` (only the workspace is writable), `read-only` (nothing is), or `off` (no sandbox; said loudly at start-up).",
    ),
    sandbox_network: env(
      z.boolean().default(false),
      ["HERALD_SANDBOX_NETWORK"],
      "Give sandboxed commands the network. Off: they have none (web_fetch still works; it runs in the gateway).",
    ),
    sandbox_limits: z.object({
      processes: doc(
        z.number().int().min(8).default(256),
        "Processes and threads one sandboxed call may have at once (a fork bomb dies at this limit).",
      ),
      memory_mb: doc(
        z.number().int().min(64).default(4096),
        "Memory one sandboxed call may use, in MiB.",
      ),
      file_mb: doc(
        z.number().int().min(1).default(4096),
        "Largest file a sandboxed command may write, in MiB.",
      ),
    }).prefault({}),
    terminal: z.object({
      timeout: doc(seconds.default(180), "Default seconds a command may run."),
      max_timeout: doc(seconds.default(600), "The longest timeout the model may ask for."),
      deny: doc(
        stringList.default([]),
        "Regular expressions of commands to refuse outright, sandbox or not.",
      ),
      allow: doc(
        stringList.default([]),
        "Regular expressions of commands the built-in dangerous-command rules do not apply to.",
      ),
    }).prefault({}),
    files: z.object({
      extra_roots: doc(
        stringList.default([]),
        "Directories outside the workspace the file tools may also use.",
      ),
    }).prefault({}),
    web_fetch: z.object({
      allow_private: doc(
        z.boolean().default(false),
        "Allow fetching loopback, private, link-local and cloud-metadata addresses.",
      ),
      max_bytes: doc(z.number().int().positive().default(2_000_000), "Largest page downloaded."),
      timeout: doc(seconds.default(30), "Seconds a fetch may take."),
    }).prefault({}),
    memory: z.object({
      max_chars: doc(
        z.number().int().positive().default(4000),
        "Total size of the memory notes injected into the system prompt.",
      ),
      shared: doc(
        z.boolean().default(false),
        "Share one set of memory notes between every API key. Default: each named API key has its own notes; the default key, Telegram and `herald chat` share theirs.",
      ),
    }).prefault({}),
  }).prefault({}),
  approvals: z.object({
    api_server: env(
      approvalMode,
      ["HERALD_APPROVALS_API_SERVER", "HERALD_APPROVALS"],
      "When the HTTP API asks before a tool call: never, dangerous or always. `HERALD_APPROVALS` sets every front door at once.",
    ),
    telegram: env(
      approvalMode,
      ["HERALD_APPROVALS_TELEGRAM", "HERALD_APPROVALS"],
      "When Telegram asks before a tool call (inline buttons).",
    ),
    cli: env(
      approvalMode,
      ["HERALD_APPROVALS_CLI", "HERALD_APPROVALS"],
      "When `herald chat` asks before a tool call (a y/n/always prompt).",
    ),
    discord: env(
      approvalMode,
      ["HERALD_APPROVALS_DISCORD", "HERALD_APPROVALS"],
      "When Discord asks before a tool call.",
    ),
    slack: env(
      approvalMode,
      ["HERALD_APPROVALS_SLACK", "HERALD_APPROVALS"],
      "When Slack asks before a tool call.",
    ),
    timeout: env(
      seconds.default(600),
      ["HERALD_APPROVALS_TIMEOUT"],
      "Seconds a pending approval waits for an answer; after that it is denied as expired.",
    ),
  }).prefault({}),
  log: z.object({
    format: env(
      z.enum(["auto", "text", "json"]).default("auto"),
      ["HERALD_LOG_FORMAT"],
      "The request log: `text` (one human line per request, coloured on a terminal), `json` (JSON lines, for log collectors), or `auto` (text when stderr is a terminal, else JSON).",
    ),
    level: env(
      z.enum(["debug", "info", "warn", "error"]).default("info"),
      ["HERALD_LOG_LEVEL"],
      "`info` logs every request; `warn` only those not completed; `error` only failures; `debug` (also `herald serve --verbose`) adds a line per tool call.",
    ),
  }).prefault({}),
  audit: z.object({
    enabled: env(
      z.boolean().default(true),
      ["HERALD_AUDIT"],
      "Append every tool call to the audit trail in $HERALD_HOME/audit/ (read it with `herald audit`).",
    ),
    max_bytes: doc(
      z.number().int().min(1024).default(10_000_000),
      "Size at which audit.jsonl is rotated to audit.1.jsonl.",
    ),
    keep: doc(
      z.number().int().min(1).max(100).default(5),
      "How many rotated audit files are kept beside the current one.",
    ),
  }).prefault({}),
  toolsets: z.object({
    api_server: doc(toolset(), "Tools offered on the HTTP API."),
    telegram: doc(toolset(), "Tools offered on Telegram."),
    discord: doc(toolset(), "Tools offered on Discord."),
    slack: doc(toolset(), "Tools offered on Slack."),
    cli: doc(toolset(), "Tools offered in `herald chat`."),
  }).prefault({}),
  mcp_servers: doc(
    McpServersSchema.default({}),
    "External MCP servers whose tools the agent may call, by name (see docs/mcp.md).",
  ),
  mcp: McpSettingsSchema.prefault({}),
});

/** The validated configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** Where the configuration was loaded from, beside the values. */
export interface ResolvedConfig {
  config: Config;
  /** `$HERALD_HOME`, default `~/.herald`. */
  home: string;
  /** The workspace directory, absolute. */
  workspace: string;
  /** The effective upstream base URL. */
  baseUrl: string;
  /** Problems that did not stop loading (unknown keys, ignored values), one line each. */
  warnings?: string[];
}
