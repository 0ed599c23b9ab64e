/**
 * Loads the configuration from its sources and validates it against the schema. Sources in rising
 * precedence: schema defaults < config.yaml < $HERALD_HOME/.env < the process environment < flags.
 * @module
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { z } from "zod";
import { parseDotenv } from "./dotenv.ts";
import { closestName } from "./suggest.ts";
import { ConfigError } from "./errors.ts";
import { weakKeyReason } from "./key_policy.ts";
import { type Config, ConfigSchema, type ResolvedConfig } from "./schema.ts";
import { type ConfigLeaf, listConfigLeaves, objectShape } from "./schema_walk.ts";
import { describeError, isRemoteKvPath } from "../lib/mod.ts";

/** Values given on the command line, which beat every other source. */
export interface ConfigFlags {
  /** `--host`: the API server's bind address. */
  host?: string;
  /** `--port`: the API server's port. */
  port?: string | number;
  /** `--config`: a config.yaml to read instead of `$HERALD_HOME/config.yaml`. */
  config?: string;
}

/** Where {@link loadConfig} reads from. */
export interface LoadConfigOptions {
  /** The process environment. Default: `Deno.env.toObject()`. */
  env?: Record<string, string | undefined>;
  flags?: ConfigFlags;
  /** The directory relative paths are resolved against. Default: `Deno.cwd()`. */
  cwd?: string;
}

/** The upstream used when an API key is set and no base URL is. */
export const OPENAI_BASE_URL = "https://api.openai.com/v1";
/** The upstream used when neither an API key nor a base URL is set: a local Ollama. */
export const OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1";

// Keys whose invalid environment value falls back to the key's default with a warning instead
// of refusing to start, as the Telegram peer does for TELEGRAM_REPLY_TO_MODE (→ first).
const LENIENT_ENV_KEYS = new Set(["telegram.reply_to_mode"]);
const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Loads, merges and validates the configuration.
 *
 * @throws {ConfigError} with one line per bad value, or when config.yaml cannot be read.
 *
 * @example
 * ```ts
 * const resolved = await loadConfig({ flags: { port: 9000 } });
 * resolved.config.api_server.port; // 9000
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? Deno.env.toObject();
  const flags = options.flags ?? {};
  const cwd = options.cwd ?? Deno.cwd();
  const home = resolveHeraldHome(env, cwd);
  const warnings: string[] = [];
  const leaves = listConfigLeaves();
  const raw: Record<string, unknown> = {};
  // Which source set each leaf key, when it was not config.yaml: for the error lines.
  const sources = new Map<string, string>();

  const configPath = flags.config
    ? resolve(cwd, expandHome(flags.config, env))
    : join(home, "config.yaml");
  const fromFile = await readYamlConfig(configPath, flags.config !== undefined);
  if (fromFile) {
    warnings.push(
      ...unknownKeys(fromFile, ConfigSchema, []).map(({ key, suggestion }) =>
        `Unknown key "${key}" in ${configPath} is ignored.${
          suggestion ? ` Did you mean "${suggestion}"?` : ""
        }`
      ),
    );
    Object.assign(raw, fromFile);
    for (const leaf of leaves) {
      const value = getPath(raw, leaf.path);
      if (value !== undefined) setPath(raw, leaf.path, coerce(leaf, value));
    }
  }

  const dotenvPath = join(home, ".env");
  const dotenv = await readDotenv(dotenvPath, warnings);
  applyEnvironment(leaves, raw, sources, warnings, dotenv, `in ${dotenvPath}`);
  applyEnvironment(leaves, raw, sources, warnings, env, "");

  const flagLeaves: [string, string | number | undefined, string][] = [
    ["api_server.host", flags.host, "--host"],
    ["api_server.port", flags.port, "--port"],
  ];
  for (const [key, value, flag] of flagLeaves) {
    const leaf = leaves.find((candidate) => candidate.key === key);
    if (value === undefined || !leaf) continue;
    setPath(raw, leaf.path, coerce(leaf, value));
    sources.set(key, flag);
  }

  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, raw, sources)));
  }
  const config = parsed.data;
  const keyProblems = checkServerKeys(config, sources);
  if (keyProblems.length > 0) throw new ConfigError(keyProblems);

  return {
    config,
    home,
    workspace: resolve(cwd, expandHome(config.workspace ?? cwd, env)),
    baseUrl: effectiveBaseUrl(config),
    warnings,
  };
}

/**
 * Returns `$HERALD_HOME` as an absolute path: the variable when set (`~` expanded), otherwise
 * `~/.herald`.
 */
export function resolveHeraldHome(
  env: Record<string, string | undefined>,
  cwd: string = Deno.cwd(),
): string {
  const configured = env.HERALD_HOME?.trim();
  return resolve(cwd, expandHome(configured || join(userHome(env), ".herald"), env));
}

/**
 * The upstream base URL the agent calls: `model.base_url`, else OpenAI when an API key is set,
 * else a local Ollama.
 */
export function effectiveBaseUrl(config: Config): string {
  if (config.model.base_url) return config.model.base_url;
  return config.model.api_key ? OPENAI_BASE_URL : OLLAMA_BASE_URL;
}

/** The Deno KV location: `store.kv_path` when set, else `$HERALD_HOME/herald.kv`. */
export function resolveKvPath(resolved: ResolvedConfig): string {
  const configured = resolved.config.store.kv_path;
  if (!configured) return join(resolved.home, "herald.kv");
  if (configured === ":memory:" || isRemoteKvPath(configured)) return configured;
  return isAbsolute(configured) ? configured : resolve(resolved.home, configured);
}

function userHome(env: Record<string, string | undefined>): string {
  return env.HOME || env.USERPROFILE || homedir();
}

function expandHome(path: string, env: Record<string, string | undefined>): string {
  if (path === "~") return userHome(env);
  if (path.startsWith("~/") || path.startsWith("~\\")) return join(userHome(env), path.slice(2));
  return path;
}

async function readYamlConfig(
  path: string,
  explicit: boolean,
): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !explicit) return undefined;
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new ConfigError([`Cannot read config file ${path}: ${reason}`], { cause: error });
  }
  // Loaded only when a config file exists: the yaml package is a noticeable part of start-up.
  const { parseDocument } = await import("yaml");
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problem = document.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line;
    // The yaml package appends " at line N, column M:" and a code excerpt; keep the first clause.
    const message = problem.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new ConfigError([
      `Cannot read config file ${path}: ${line ? `line ${line}: ` : ""}${message}`,
    ]);
  }
  const value = document.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new ConfigError([
      `Cannot read config file ${path}: expected a mapping of keys at the top level, got ${
        describeValue(value)
      }`,
    ]);
  }
  return value;
}

async function readDotenv(
  path: string,
  warnings: string[],
): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw new ConfigError([
      `Cannot read ${path}: ${describeError(error)}`,
    ], { cause: error });
  }
  const parsed = parseDotenv(text);
  warnings.push(...parsed.warnings.map((warning) => `${path}: ${warning} (ignored)`));
  return parsed.values;
}

function applyEnvironment(
  leaves: ConfigLeaf[],
  raw: Record<string, unknown>,
  sources: Map<string, string>,
  warnings: string[],
  env: Record<string, string | undefined>,
  where: string,
): void {
  for (const leaf of leaves) {
    // The first name that is set wins; empty values count as unset.
    const name = leaf.env.find((candidate) => (env[candidate] ?? "").trim() !== "");
    if (!name) continue;
    const value = coerce(leaf, (env[name] as string).trim());
    const label = where ? `${name} ${where}` : name;
    if (LENIENT_ENV_KEYS.has(leaf.key) && !leaf.options?.includes(value as string)) {
      warnings.push(
        `${label}=${JSON.stringify(env[name])} is not one of ${
          leaf.options?.join(", ")
        }; using the default ${JSON.stringify(leaf.defaultValue)} instead.`,
      );
      if (setPath(raw, leaf.path, leaf.defaultValue)) sources.set(leaf.key, label);
      continue;
    }
    if (!setPath(raw, leaf.path, value)) continue;
    sources.set(leaf.key, label);
  }
}

// Turns a value from YAML, the environment or a flag into the leaf's type where that is
// unambiguous; anything else is passed on as is so the schema reports it.
function coerce(leaf: ConfigLeaf, value: unknown): unknown {
  switch (leaf.kind) {
    case "string":
    case "url":
      return typeof value === "number" || typeof value === "bigint" ? String(value) : value;
    case "number":
    case "integer":
      return typeof value === "string" && NUMBER.test(value.trim()) ? Number(value.trim()) : value;
    case "boolean": {
      if (typeof value !== "string") return value;
      const word = value.trim().toLowerCase();
      return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : value;
    }
    case "enum":
      // YAML 1.1 readers (and habit) turn a bare `off` into false.
      if (value === false && leaf.options?.includes("off")) return "off";
      return typeof value === "string" ? value.trim().toLowerCase() : value;
    case "string_list":
    case "enum_list": {
      const items = typeof value === "string"
        ? value.split(",").map((item) => item.trim()).filter((item) => item !== "")
        : value;
      if (!Array.isArray(items)) return items;
      return items.map((item) => {
        if (typeof item === "number") return String(item);
        if (leaf.kind === "enum_list" && typeof item === "string") return item.trim().toLowerCase();
        return item;
      });
    }
    default:
      return value;
  }
}

function describeIssue(
  issue: z.core.$ZodIssue,
  raw: Record<string, unknown>,
  sources: Map<string, string>,
): string {
  const path = issue.path.map((part) => (typeof part === "symbol" ? part.toString() : part));
  const key = path.reduce<string>(
    (text, part) => typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : part,
    "",
  );
  const value = getPath(raw, path);
  let source: string | undefined;
  for (let length = path.length; length > 0 && !source; length--) {
    source = sources.get(
      path.slice(0, length).filter((part) => typeof part === "string").join("."),
    );
  }
  const suffix = source ? ` (from ${source})` : "";
  return `${key || "(top level)"}: expected ${expectation(issue)}, got ${
    describeValue(value)
  }${suffix}`;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const expected = issue.expected as string;
      const names: Record<string, string> = {
        number: "a number",
        int: "a whole number",
        boolean: "true or false",
        string: "a string",
        array: "a list",
        object: "a mapping of keys",
      };
      return names[expected] ?? expected;
    }
    case "too_small":
      if (issue.origin === "string") return "a non-empty string";
      if (issue.origin === "array") return `a list of at least ${issue.minimum} items`;
      return issue.inclusive
        ? `a number of at least ${issue.minimum}`
        : `a number greater than ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `a list of at most ${issue.maximum} items`;
      return issue.inclusive
        ? `a number of at most ${issue.maximum}`
        : `a number less than ${issue.maximum}`;
    case "invalid_format":
      if (issue.format === "url") return "a URL such as https://example.com/v1";
      // A pattern says nothing to a user; the schema's message says what the value should be.
      return issue.format === "regex"
        ? issue.message.replace(/^expected /, "")
        : `a ${issue.format}`;
    case "invalid_key": {
      const inner = (issue as { issues?: { message: string }[] }).issues?.[0]?.message;
      return inner ? inner.replace(/^expected /, "") : "a valid name";
    }
    case "unrecognized_keys":
      return `only known keys (unknown: ${issue.keys.join(", ")})`;
    case "invalid_value":
      return `one of ${issue.values.map((option) => String(option)).join(", ")}`;
    default:
      return issue.message.replace(/^Invalid input: /, "").replace(/^expected /, "");
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list (${JSON.stringify(value)})`;
  if (isPlainObject(value)) return "a mapping";
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function checkServerKeys(config: Config, sources: Map<string, string>): string[] {
  const lines: string[] = [];
  const candidates: [string, string, string | undefined][] = [];
  if (config.api_server.key !== undefined) {
    candidates.push(["api_server.key", config.api_server.key, sources.get("api_server.key")]);
  }
  const names = new Set<string>();
  config.api_server.keys.forEach((entry, index) => {
    const where = `api_server.keys[${index}]`;
    if (typeof entry === "string") {
      candidates.push([where, entry, sources.get("api_server.keys")]);
      return;
    }
    const name = entry.name.toLowerCase();
    if (names.has(name) || name === "default") {
      lines.push(
        `${where}.name: "${entry.name}" is ${
          name === "default" ? "reserved for api_server.key" : "used by another key"
        }; give each key its own name`,
      );
    }
    names.add(name);
    if (entry.key !== undefined) candidates.push([`${where}.key`, entry.key, undefined]);
  });
  for (const [where, key, source] of candidates) {
    const reason = weakKeyReason(key);
    if (reason) lines.push(`${where}: the key${source ? ` from ${source}` : ""} ${reason}`);
  }
  // A webhook secret is a credential like an API key: a guessable one lets anyone post updates
  // as an allowed user. (A derived secret is a SHA-256 of the bot token, so always strong.)
  const secret = config.telegram.webhook_secret;
  if (secret !== undefined) {
    const source = sources.get("telegram.webhook_secret");
    const reason = weakKeyReason(secret) ??
      (/^[A-Za-z0-9_-]{1,256}$/.test(secret)
        ? null
        : "holds characters Telegram does not allow; use letters, digits, '_' and '-'");
    if (reason) {
      lines.push(
        `telegram.webhook_secret: the secret${source ? ` from ${source}` : ""} ${reason} ` +
          "(or unset it to derive one from the bot token)",
      );
    }
  }
  return lines;
}

function unknownKeys(
  value: Record<string, unknown>,
  schema: z.ZodType,
  prefix: string[],
): { key: string; suggestion?: string }[] {
  const shape = objectShape(schema);
  if (!shape) return [];
  const found: { key: string; suggestion?: string }[] = [];
  for (const [name, child] of Object.entries(value)) {
    const path = [...prefix, name];
    if (!(name in shape)) found.push({ key: path.join("."), suggestion: suggestKey(path) });
    else if (isPlainObject(child)) found.push(...unknownKeys(child, shape[name], path));
  }
  return found;
}

// The nearest valid key: a sibling with a similar name (`api_server.prot` → `api_server.port`),
// else a key of that name elsewhere (`port` → `api_server.port`), else the nearest full path.
function suggestKey(path: string[]): string | undefined {
  const all = listConfigLeaves().map((leaf) => leaf.path.join("."));
  const parent = path.slice(0, -1).join(".");
  const name = path.at(-1)!;
  const siblings = new Set<string>();
  for (const key of all) {
    if (parent === "" || key.startsWith(parent + ".")) {
      const rest = parent === "" ? key : key.slice(parent.length + 1);
      siblings.add(rest.split(".")[0]);
    }
  }
  const sibling = closestName(name, [...siblings]);
  if (sibling) return [...path.slice(0, -1), sibling].join(".");
  const elsewhere = all.filter((key) => key.split(".").at(-1) === name);
  if (elsewhere.length === 1) return elsewhere[0];
  return closestName(path.join("."), all);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function getPath(root: unknown, path: (string | number)[]): unknown {
  let current = root;
  for (const part of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

// Sets a nested value, creating missing objects. Returns false when an intermediate value is not
// an object (a malformed config.yaml), leaving it for the schema to report.
function setPath(root: Record<string, unknown>, path: string[], value: unknown): boolean {
  let current = root;
  for (const part of path.slice(0, -1)) {
    const next = current[part];
    if (next === undefined || next === null) current[part] = {};
    else if (!isPlainObject(next)) return false;
    current = current[part] as Record<string, unknown>;
  }
  current[path[path.length - 1]] = value;
  return true;
}
