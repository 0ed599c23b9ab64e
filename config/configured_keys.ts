/**
 * The API keys the configuration names, each with a name and a scope: `api_server.key`
 * (`default`), every entry of `api_server.keys` (a bare string is a full key named after its
 * hash; a mapping names its key, or a `key_file` holding it, and its scope), and, when none is
 * configured, the key generated in `$HERALD_HOME/api_key` (`default`).
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { ensureApiKey } from "./api_key.ts";
import { ConfigError } from "./errors.ts";
import { type KeyScope, unnamedKeyName } from "./keys_file.ts";
import { weakKeyReason } from "./key_policy.ts";
import type { ResolvedConfig } from "./schema.ts";

/** A configured key, in clear. */
export interface ConfiguredKey {
  name: string;
  scope: KeyScope;
  key: string;
}

/** What {@link resolveConfiguredKeys} found. */
export interface ConfiguredKeys {
  keys: ConfiguredKey[];
  /** Set when this call generated `$HERALD_HOME/api_key` (its key is shown once). */
  generatedPath?: string;
  /** Set when the default key lives in `$HERALD_HOME/api_key`. */
  keyFile?: string;
}

/**
 * Resolves the configured keys, reading each `key_file` (relative paths from `$HERALD_HOME`).
 *
 * @throws {ConfigError} when a key file cannot be read, is empty, or holds a weak key.
 *
 * @example
 * ```ts
 * const { keys } = await resolveConfiguredKeys(resolved);
 * keys.map((k) => k.name); // ["default", "alice"]
 * ```
 */
export async function resolveConfiguredKeys(resolved: ResolvedConfig): Promise<ConfiguredKeys> {
  const { key, keys: entries } = resolved.config.api_server;
  const keys: ConfiguredKey[] = [];
  if (key) keys.push({ name: "default", scope: "full", key });
  const problems: string[] = [];
  for (const [index, entry] of entries.entries()) {
    if (typeof entry === "string") {
      keys.push({ name: unnamedKeyName(entry), scope: "full", key: entry });
      continue;
    }
    if (entry.key !== undefined) {
      keys.push({ name: entry.name, scope: entry.scope, key: entry.key });
      continue;
    }
    const path = isAbsolute(entry.key_file!)
      ? entry.key_file!
      : resolve(resolved.home, entry.key_file!);
    const where = `api_server.keys[${index}].key_file`;
    try {
      const text = (await Deno.readTextFile(path)).trim();
      const reason = text === "" ? "is empty" : weakKeyReason(text);
      if (reason) problems.push(`${where}: the key in ${path} ${reason}`);
      else keys.push({ name: entry.name, scope: entry.scope, key: text });
    } catch (error) {
      problems.push(`${where}: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (keys.length > 0) return { keys };
  const info = await ensureApiKey(resolved.home);
  const generated = { name: "default", scope: "full" as const, key: info.key };
  return info.generated
    ? { keys: [generated], generatedPath: info.path, keyFile: info.path }
    : { keys: [generated], keyFile: info.path };
}
