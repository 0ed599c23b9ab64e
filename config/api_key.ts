/**
 * The API server key kept in `$HERALD_HOME/api_key`: generated at first start so the server never
 * runs without a key, readable only by its owner.
 * @module
 */
import { join } from "node:path";

/** The key and where it lives. */
export interface ApiKeyInfo {
  key: string;
  /** True when this call created the key. */
  generated: boolean;
  /** The key file, `$HERALD_HOME/api_key`. */
  path: string;
}

/**
 * Returns the key kept in `$HERALD_HOME/api_key`, creating the file with a new random key (mode
 * 0600, in a home directory of mode 0700) when there is none. Call it only when no key is
 * configured.
 *
 * @example
 * ```ts
 * const { key, generated, path } = await ensureApiKey(resolved.home);
 * if (generated) console.log(`Generated an API key in ${path}`);
 * ```
 */
export async function ensureApiKey(home: string): Promise<ApiKeyInfo> {
  const path = apiKeyPath(home);
  const existing = await readKeyFile(path);
  if (existing) return { key: existing, generated: false, path };
  await Deno.mkdir(home, { recursive: true, mode: 0o700 });
  const key = generateApiKey();
  try {
    // createNew: when two processes start at once, one writes and the other reads its key.
    await Deno.writeTextFile(path, key + "\n", { createNew: true, mode: 0o600 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    const written = await readKeyFile(path);
    if (written) return { key: written, generated: false, path };
    // An empty key file: replace it.
    await Deno.writeTextFile(path, key + "\n", { mode: 0o600 });
  }
  await restrict(path);
  return { key, generated: true, path };
}

/**
 * Replaces the key in `$HERALD_HOME/api_key` with a new random one. Clients using the old key
 * are refused once the server restarts.
 */
export async function rotateApiKey(home: string): Promise<ApiKeyInfo> {
  const path = apiKeyPath(home);
  await Deno.mkdir(home, { recursive: true, mode: 0o700 });
  const key = generateApiKey();
  // Write beside and rename, so a reader never sees a half-written key.
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(temporary, key + "\n", { mode: 0o600 });
  await restrict(temporary);
  await Deno.rename(temporary, path);
  return { key, generated: true, path };
}

/** A new random key: `herald-` and 32 random bytes in base64url. */
export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return "herald-" + base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** `$HERALD_HOME/api_key`. */
export function apiKeyPath(home: string): string {
  return join(home, "api_key");
}

async function readKeyFile(path: string): Promise<string | undefined> {
  try {
    const key = (await Deno.readTextFile(path)).trim();
    return key === "" ? undefined : key;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

// `mode` applies only when a file is created and is masked by the umask; set it explicitly.
// Windows has no POSIX modes, so chmod is skipped there.
async function restrict(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  await Deno.chmod(path, 0o600);
}
