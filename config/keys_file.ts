/**
 * Named API keys managed by `herald key add|list|revoke|rotate`, kept in `$HERALD_HOME/keys.json`
 * (mode 0600). Only a SHA-256 of each key is stored: the key itself is shown once, when it is
 * made, so a copy of the file (a backup, a support bundle) lets nobody in. A running gateway
 * re-reads the file when it changes, so a revoked key is refused on its next request.
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { generateApiKey } from "./api_key.ts";
import { ensurePrivateDir, writePrivateFile } from "./home.ts";
import { KEY_SCOPES } from "./schema.ts";

/** What a key may do (see docs/security.md): `full`, `read` or `chat`. */
export type KeyScope = typeof KEY_SCOPES[number];

/** One named key as stored: its hash, never the key. */
export interface StoredKey {
  name: string;
  scope: KeyScope;
  /** `sha256:` and the hex digest of the key. */
  hash: string;
  /** The key's first characters, so `herald key list` can say which key is which. */
  prefix: string;
  created_at: string;
}

const StoredKeySchema = z.object({
  name: z.string().min(1),
  scope: z.enum(KEY_SCOPES),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  prefix: z.string(),
  created_at: z.string(),
});
const KeysFileSchema = z.object({ keys: z.array(StoredKeySchema) });

/** A name `herald key add` accepts: letters, digits, `.`, `_`, `-`; at most 64. */
export const KEY_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;

/** `$HERALD_HOME/keys.json`. */
export function keysFilePath(home: string): string {
  return join(home, "keys.json");
}

/** `sha256:` and the hex SHA-256 of a key: how keys are stored and looked up. */
export function hashKey(key: string): string {
  return "sha256:" + createHash("sha256").update(key).digest("hex");
}

/** The name an unnamed configured key gets: `key-` and 8 hex digits of its hash (stable). */
export function unnamedKeyName(key: string): string {
  return "key-" + hashKey(key).slice(7, 15);
}

/**
 * Parses the text of keys.json. A file that is not valid throws: a gateway then accepts none of
 * its keys rather than guessing.
 */
export function parseKeysFile(text: string): StoredKey[] {
  const parsed = KeysFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`not a Herald keys file (${parsed.error.issues[0].message})`);
  }
  return parsed.data.keys;
}

/** Reads the named keys; none when the file does not exist. */
export async function readKeysFile(home: string): Promise<StoredKey[]> {
  const path = keysFilePath(home);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  try {
    return parseKeysFile(text);
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function writeKeysFile(home: string, keys: StoredKey[]): Promise<void> {
  await ensurePrivateDir(home);
  await writePrivateFile(keysFilePath(home), JSON.stringify({ keys }, null, 2) + "\n");
}

/** A key just made: the key itself (shown once) and what is stored. */
export interface NewKey {
  key: string;
  stored: StoredKey;
}

function makeKey(name: string, scope: KeyScope): NewKey {
  const key = generateApiKey();
  return {
    key,
    stored: {
      name,
      scope,
      hash: hashKey(key),
      prefix: key.slice(0, 11),
      created_at: new Date().toISOString(),
    },
  };
}

/**
 * Adds a named key with a new random value. `taken` lists names already used elsewhere (the
 * configuration), which are refused like names in the file.
 *
 * @example
 * ```ts
 * const { key } = await addNamedKey(home, "alice", { scope: "chat" });
 * ```
 */
export async function addNamedKey(
  home: string,
  name: string,
  options: { scope?: KeyScope; taken?: readonly string[] } = {},
): Promise<NewKey> {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new Error(
      `"${name}" is not a key name: use letters, digits, '.', '_' or '-' (at most 64).`,
    );
  }
  const keys = await readKeysFile(home);
  const lower = name.toLowerCase();
  if (
    lower === "default" || keys.some((k) => k.name.toLowerCase() === lower) ||
    (options.taken ?? []).some((taken) => taken.toLowerCase() === lower)
  ) {
    throw new Error(
      `A key named "${name}" already exists; choose another name, or \`herald key rotate ${name}\`.`,
    );
  }
  const made = makeKey(name, options.scope ?? "full");
  await writeKeysFile(home, [...keys, made.stored]);
  return made;
}

/** Removes a named key; returns false when there was none by that name. */
export async function revokeNamedKey(home: string, name: string): Promise<boolean> {
  const keys = await readKeysFile(home);
  const rest = keys.filter((k) => k.name.toLowerCase() !== name.toLowerCase());
  if (rest.length === keys.length) return false;
  await writeKeysFile(home, rest);
  return true;
}

/**
 * Replaces a named key's value, keeping its name, scope and so its stored responses,
 * conversations and memory. Returns undefined when there is no key by that name.
 */
export async function rotateNamedKey(home: string, name: string): Promise<NewKey | undefined> {
  const keys = await readKeysFile(home);
  const index = keys.findIndex((k) => k.name.toLowerCase() === name.toLowerCase());
  if (index < 0) return undefined;
  const made = makeKey(keys[index].name, keys[index].scope);
  keys[index] = made.stored;
  await writeKeysFile(home, keys);
  return made;
}
