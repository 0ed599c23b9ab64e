/**
 * Masks secrets in tool output before it reaches the model or the logs: the configured keys and
 * tokens, plus every environment variable whose name says it holds a key, token or password.
 * @module
 */
import type { Config } from "../../config/mod.ts";

/** What replaces a secret in tool output. */
export const REDACTED = "[redacted]";

/** Environment values shorter than this are not masked: they are too likely to be ordinary text. */
const MIN_ENV_SECRET_LENGTH = 8;
/** Configured secrets shorter than this are not masked for the same reason. */
const MIN_CONFIGURED_SECRET_LENGTH = 4;

/** Names of environment variables that hold secrets (OPENAI_API_KEY, GITHUB_TOKEN, DB_PASSWORD…). */
const SECRET_NAME =
  /(?:^|_)(?:API_?)?(?:KEYS?|TOKENS?|SECRETS?|PASSWORDS?|PASSWD|PASSPHRASE|CREDENTIALS?)(?:_|$)/i;

/** Environment variables the terminal never passes to commands. */
export const SECRET_ENV_NAMES: readonly string[] = [
  "OPENAI_API_KEY",
  "API_SERVER_KEY",
  "API_SERVER_KEYS",
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "DENO_KV_ACCESS_TOKEN",
];

/** True when an environment variable's name says it holds a secret. */
export function isSecretEnvName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * Collects the secret values to mask: the upstream and fallback API keys, the server keys, the bot
 * token and webhook secret, and secret-looking environment variables (comma lists split too).
 */
export function collectSecrets(
  config: Config,
  env: Record<string, string> = Deno.env.toObject(),
): string[] {
  const configured = [
    config.model.api_key,
    ...config.model.fallbacks.map((f) => f.api_key),
    config.api_server.key,
    ...config.api_server.keys,
    config.telegram.bot_token,
    config.telegram.webhook_secret,
    // What MCP servers are given: header values (Authorization…) and secret-named env values.
    ...Object.values(config.mcp_servers ?? {}).flatMap((server) => [
      ...Object.values(server.headers ?? {}).map((v) => v.replace(/^(Bearer|Basic|Token)\s+/i, "")),
      ...Object.entries(server.env ?? {}).filter(([name]) => isSecretEnvName(name)).map(([, v]) =>
        v
      ),
    ]).filter((v) => !v.includes("${")),
  ].filter((s): s is string => typeof s === "string" && s.length >= MIN_CONFIGURED_SECRET_LENGTH);
  const fromEnv = Object.entries(env)
    .filter(([name]) => isSecretEnvName(name))
    .flatMap(([, value]) => [value, ...value.split(",").map((v) => v.trim())])
    .filter((v) => v.length >= MIN_ENV_SECRET_LENGTH);
  return [...new Set([...configured, ...fromEnv])];
}

/**
 * Builds a function that replaces every occurrence of the given secrets with `[redacted]`.
 * Longer secrets are matched first so a secret containing another is masked whole.
 *
 * @example
 * ```ts
 * const mask = createSecretMasker(["sk-live-123456"]);
 * mask("key=sk-live-123456"); // "key=[redacted]"
 * ```
 */
export function createSecretMasker(secrets: readonly string[]): (text: string) => string {
  const unique = [...new Set(secrets.filter((s) => s.length > 0))]
    .sort((a, b) => b.length - a.length);
  if (unique.length === 0) return (text) => text;
  const pattern = new RegExp(unique.map(escapeRegExp).join("|"), "g");
  return (text) => text.replace(pattern, REDACTED);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
