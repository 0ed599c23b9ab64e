/**
 * Hides secrets before the configuration is shown (`herald config show`, logs).
 * @module
 */
import type { Config } from "./schema.ts";

/**
 * Shows a secret's first and last four characters, or `***` when it is too short for that to be
 * safe.
 *
 * @example
 * ```ts
 * maskSecret("sk-proj-abcdefghijklmnop"); // "sk-p…mnop"
 * maskSecret("short"); // "***"
 * ```
 */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `${secret.slice(0, 4)}…${secret.slice(-4)}` : "***";
}

/**
 * Hides the user name and password a URL carries (`https://***:***@host/v1`); anything that is
 * not a URL with credentials, such as a file path, comes back unchanged.
 *
 * @example
 * ```ts
 * maskUrl("https://me:pw@llm.example/v1"); // "https://***:***@llm.example/v1"
 * ```
 */
export function maskUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return url;
  if (parsed.username) parsed.username = "***";
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/**
 * Returns a copy of the configuration with every secret masked: upstream API keys (fallbacks
 * too), credentials inside URLs, the API server keys, the Telegram bot token and the webhook
 * secret.
 */
export function maskConfig(config: Config): Config {
  const copy = structuredClone(config);
  const mask = (value: string | undefined) => value === undefined ? undefined : maskSecret(value);
  const maskLocation = (value: string | undefined) =>
    value === undefined ? undefined : maskUrl(value);
  copy.model.api_key = mask(copy.model.api_key);
  copy.model.base_url = maskLocation(copy.model.base_url);
  copy.model.fallbacks = copy.model.fallbacks.map((fallback) => ({
    ...fallback,
    api_key: mask(fallback.api_key),
    base_url: maskLocation(fallback.base_url),
  }));
  copy.store.kv_path = maskLocation(copy.store.kv_path);
  copy.telegram.api_root = maskUrl(copy.telegram.api_root);
  copy.api_server.key = mask(copy.api_server.key);
  copy.api_server.keys = copy.api_server.keys.map((entry) =>
    typeof entry === "string" ? maskSecret(entry) : { ...entry, key: mask(entry.key) }
  );
  copy.telegram.bot_token = mask(copy.telegram.bot_token);
  copy.telegram.webhook_secret = mask(copy.telegram.webhook_secret);
  return copy;
}
