/**
 * The accepted API keys and who each one is. A key is looked up by its SHA-256, so the time a
 * lookup takes says nothing about how much of a guess was right, and the keys added with
 * `herald key add` can be kept as hashes only. The keys file is re-read when its modification
 * time or size changes (one `stat` per request whose key is not a configured one: the file cannot
 * change what a configured key is), so `herald key revoke` takes effect on the revoked key's next
 * request, without a restart.
 * @module
 */
import {
  type ConfiguredKey,
  hashKey,
  type KeyScope,
  parseKeysFile,
  type StoredKey,
  unnamedKeyName,
} from "../config/mod.ts";
import { existsSync } from "node:fs";

/** Who a request is: the key's name (never the key) and what it may do. */
export interface KeyIdentity {
  /** The key's name: `default` for `api_server.key` or the generated key. */
  name: string;
  scope: KeyScope;
}

/** The identity every request has when `api_server.auth` is false. */
export const ANONYMOUS: KeyIdentity = Object.freeze({ name: "default", scope: "full" });

/** Finds the identity a bearer token belongs to. */
export interface KeyLookup {
  /** The identity of `token`, or null when it is not an accepted key. */
  identify(token: string): KeyIdentity | null;
  /**
   * The same, given the token's {@link tokenDigest} instead (for a caller that needs the digest
   * anyway: one hash per request instead of two).
   */
  identifyDigest?(digest: string): KeyIdentity | null;
}

/** What {@link hashKey} puts before the hex digest. */
const HASH_PREFIX = "sha256:";

/**
 * The SHA-256 of a bearer token as lowercase hex: what keys are looked up by (`sha256:` and this
 * is the stored hash), and what approvals fingerprint the caller with.
 */
export function tokenDigest(token: string): string {
  return hashKey(token).slice(HASH_PREFIX.length);
}

/** Options for {@link Keyring}. */
export interface KeyringOptions {
  /** Keys from the configuration. */
  keys: readonly ConfiguredKey[];
  /** `$HERALD_HOME/keys.json`, re-read when it changes. */
  file?: string;
  /** Told once per change when the keys file cannot be read (its keys are then refused). */
  onFileError?: (message: string) => void;
}

/**
 * The accepted keys: the configured ones and those in the keys file.
 *
 * @example
 * ```ts
 * const ring = new Keyring({ keys: [{ name: "default", scope: "full", key }], file });
 * ring.identify(token)?.name; // "default"
 * ```
 */
export class Keyring implements KeyLookup {
  readonly #configured = new Map<string, KeyIdentity>();
  readonly #file?: string;
  readonly #onFileError: (message: string) => void;
  #fileKeys = new Map<string, KeyIdentity>();
  #stamp = "";
  #warned = "";

  constructor(options: KeyringOptions) {
    for (const k of options.keys) {
      this.#configured.set(hashKey(k.key), { name: k.name, scope: k.scope });
    }
    this.#file = options.file;
    this.#onFileError = options.onFileError ?? ((m) => console.error(`warning: ${m}`));
    this.#refresh();
  }

  /** The identity of `token`, or null. */
  identify(token: string): KeyIdentity | null {
    return this.#lookup(hashKey(token));
  }

  /** The identity of the token whose {@link tokenDigest} is `digest`, or null. */
  identifyDigest(digest: string): KeyIdentity | null {
    return this.#lookup(HASH_PREFIX + digest);
  }

  #lookup(hash: string): KeyIdentity | null {
    // A configured key wins over the file whatever it holds (its names are skipped there): only
    // the other tokens need the file to be current.
    const configured = this.#configured.get(hash);
    if (configured) return configured;
    this.#refresh();
    return this.#fileKeys.get(hash) ?? null;
  }

  /** Every key name, configured ones first (for the banner and `herald key list`). */
  names(): string[] {
    this.#refresh();
    return [
      ...new Set([...this.#configured.values(), ...this.#fileKeys.values()].map((k) => k.name)),
    ];
  }

  /** How many keys are accepted now. */
  get size(): number {
    this.#refresh();
    return this.#configured.size + this.#fileKeys.size;
  }

  #refresh(): void {
    if (!this.#file) return;
    let stamp: string;
    try {
      // Most gateways have no keys file: while it is absent, asking whether it exists costs a
      // fifth of a failing `stat`, which builds a NotFound error (with its stack). Once it is
      // there, one `stat` answers both questions.
      if (this.#stamp === "absent" && !existsSync(this.#file)) stamp = "absent";
      else {
        const info = Deno.statSync(this.#file);
        stamp = `${info.mtime?.getTime()}:${info.size}:${info.ino}`;
      }
    } catch (error) {
      stamp = error instanceof Deno.errors.NotFound
        ? "absent"
        : `error:${(error as Error).message}`;
    }
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    // Whatever goes wrong below, the file's keys are refused: refusing is the safe failure.
    this.#fileKeys = new Map();
    if (stamp === "absent") return;
    try {
      const stored: StoredKey[] = parseKeysFile(Deno.readTextFileSync(this.#file));
      const configuredNames = new Set([...this.#configured.values()].map((k) => k.name));
      this.#fileKeys = new Map(
        stored.filter((k) => !configuredNames.has(k.name))
          .map((k) => [k.hash, { name: k.name, scope: k.scope }]),
      );
    } catch (error) {
      if (this.#warned === stamp) return;
      this.#warned = stamp;
      this.#onFileError(
        `cannot read ${this.#file}: ${
          (error as Error).message
        }; the keys it holds are refused until it is fixed`,
      );
    }
  }
}

/**
 * A lookup over a plain list of keys (read on every call, so a rotating list takes effect): the
 * first is `default`, the others named by their hash. For tests and embedders.
 */
export function listKeyLookup(keys: () => readonly string[]): KeyLookup {
  return {
    identify(token) {
      const list = keys();
      const hash = hashKey(token);
      for (let i = 0; i < list.length; i++) {
        if (hashKey(list[i]) === hash) {
          return { name: i === 0 ? "default" : unnamedKeyName(list[i]), scope: "full" };
        }
      }
      return null;
    },
  };
}
