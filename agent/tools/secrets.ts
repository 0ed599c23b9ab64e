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

// `PASSWORD=x`, `--token x`, `Authorization: Bearer x`, `"api_key": "x"` and well-known key
// shapes (sk-…, ghp_…, xox…-, AKIA…).
const ASSIGNMENT =
  /\b([A-Za-z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?)[A-Za-z0-9_]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',;&|]+)/gi;
const FLAG =
  /(--?(?:[a-z0-9-]*(?:key|token|secret|password|passwd|pass)[a-z0-9-]*))(\s+|=)("[^"]*"|'[^']*'|[^\s"']+)/gi;
const BEARER = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g;
const KEY_SHAPES =
  /\b(?:sk-[A-Za-z0-9_-]{16,}|sk-ant-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|\d{6,12}:[A-Za-z0-9_-]{30,})\b/g;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi;

/**
 * Masks what looks like a secret in tool-call arguments, beyond the configured secrets: values of
 * key/token/password assignments and flags, bearer credentials, passwords in URLs and well-known
 * key shapes. JSON stays valid JSON.
 *
 * @example
 * ```ts
 * maskArgumentSecrets('{"command":"curl -H \'Authorization: Bearer abcdefgh12345\'"}');
 * // '{"command":"curl -H \'Authorization: Bearer [redacted]\'"}'
 * ```
 */
export function maskArgumentSecrets(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return maskSecretText(text);
  }
  return JSON.stringify(maskValue(parsed, undefined));
}

function maskValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === "string") {
    return key !== undefined && isSecretEnvName(key) ? REDACTED : maskSecretText(value);
  }
  if (Array.isArray(value)) return value.map((item) => maskValue(item, undefined));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([name, inner]) => [name, maskValue(inner, name)]),
    );
  }
  return value;
}

function maskSecretText(text: string): string {
  return text
    .replace(BEARER, (_, scheme) => `${scheme} ${REDACTED}`)
    .replace(URL_PASSWORD, (_, head, _pw, at) => `${head}${REDACTED}${at}`)
    .replace(ASSIGNMENT, (_, name, sep) => `${name}${sep}${REDACTED}`)
    .replace(FLAG, (_, flag, sep) => `${flag}${sep}${REDACTED}`)
    .replace(KEY_SHAPES, REDACTED);
}
