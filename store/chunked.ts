/**
 * Values of any size in Deno KV, whose values are capped at 64 KiB. A value is JSON-encoded to
 * UTF-8 bytes; up to {@link INLINE_BYTES} it is kept inline in a small manifest, above that it is
 * split into chunks written first under a fresh version id, and the manifest that names them is
 * committed last, so a reader sees the whole old value or the whole new one, never a mix.
 * @module
 */

/** Largest chunk, in bytes: under KV's 65,536-byte value cap with room for the wrapper. */
export const CHUNK_BYTES = 60_000;

/** Values up to this many encoded bytes are stored inline in the manifest. */
export const INLINE_BYTES = 60_000;

/** KV rejects an atomic operation whose keys and values exceed 819,200 bytes. */
export const ATOMIC_BYTES_BUDGET = 700_000;

/** KV rejects an atomic operation with more than 1,000 mutations. */
export const ATOMIC_MUTATIONS_MAX = 1000;

/** KV's `getMany` reads at most 10 keys per call. */
const GET_MANY_MAX = 10;

/** Where chunks live unless a caller says otherwise. */
const DEFAULT_CHUNK_PREFIX: Deno.KvKey = ["chunks"];

/** What is stored at a chunked value's key: the bytes inline, or where the chunks are. */
export type Manifest =
  | { inline: Uint8Array }
  | { chunks: number; bytes: number; prefix: Deno.KvKey; version: string };

/** Options for writing a chunked value. */
export interface ChunkedWriteOptions {
  /** Milliseconds until KV may drop the value (and its chunks). */
  expireIn?: number;
  /** Key prefix for the chunks; default `["chunks"]`. */
  chunkPrefix?: Deno.KvKey;
  /** Largest value kept inline; lower it to keep an atomic operation under its size budget. */
  inlineLimit?: number;
}

/** A value whose chunks (if any) are written, ready to have its manifest committed. */
export interface StagedValue {
  manifest: Manifest;
  /** Bytes the manifest adds to an atomic operation (roughly). */
  size: number;
  /** Deletes the staged chunks, when the commit that would have used them failed. */
  discard(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a value the way chunked storage stores it: JSON as UTF-8 bytes. */
export function encodeValue(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** True when a stored KV value looks like a manifest written by this module. */
export function isManifest(value: unknown): value is Manifest {
  if (typeof value !== "object" || value === null) return false;
  return (value as { inline?: unknown }).inline instanceof Uint8Array ||
    typeof (value as { version?: unknown }).version === "string";
}

/** The keys of a manifest's chunks (none for an inline value). */
export function chunkKeysOf(manifest: Manifest): Deno.KvKey[] {
  if ("inline" in manifest) return [];
  return Array.from(
    { length: manifest.chunks },
    (_, i) => [...manifest.prefix, manifest.version, i],
  );
}

/**
 * Writes a value's chunks (when it is too big to inline) and returns the manifest to commit.
 * The caller sets the manifest in its own atomic operation, together with whatever else must
 * change at the same time.
 */
export async function stageChunked(
  kv: Deno.Kv,
  value: unknown,
  options: ChunkedWriteOptions = {},
): Promise<StagedValue> {
  return await stageBytes(kv, encodeValue(value), options);
}

/**
 * Stages several values that will be committed in one atomic operation: the largest are
 * chunked until the inline ones fit `budget` bytes, so the commit stays under KV's size limit.
 */
export async function stageMany(
  kv: Deno.Kv,
  values: unknown[],
  options: ChunkedWriteOptions & { budget?: number } = {},
): Promise<StagedValue[]> {
  const encoded = values.map(encodeValue);
  const budget = options.budget ?? ATOMIC_BYTES_BUDGET / 2;
  const forceChunk = new Set<number>();
  let total = encoded.reduce((n, b) => n + (b.byteLength <= INLINE_BYTES ? b.byteLength : 256), 0);
  const bySize = encoded.map((b, i) => [b.byteLength, i]).sort((a, b) => b[0] - a[0]);
  for (const [size, i] of bySize) {
    if (total <= budget) break;
    if (size > INLINE_BYTES || size <= 256) continue;
    forceChunk.add(i);
    total -= size - 256;
  }
  const staged: StagedValue[] = [];
  try {
    for (const [i, bytes] of encoded.entries()) {
      staged.push(
        await stageBytes(kv, bytes, { ...options, inlineLimit: forceChunk.has(i) ? 0 : undefined }),
      );
    }
  } catch (e) {
    await Promise.all(staged.map((s) => s.discard()));
    throw e;
  }
  return staged;
}

/** Stages already-encoded bytes. */
async function stageBytes(
  kv: Deno.Kv,
  bytes: Uint8Array,
  options: ChunkedWriteOptions,
): Promise<StagedValue> {
  const limit = Math.min(options.inlineLimit ?? INLINE_BYTES, INLINE_BYTES);
  if (bytes.byteLength <= limit) {
    return {
      manifest: { inline: bytes },
      size: bytes.byteLength + 64,
      discard: () => Promise.resolve(),
    };
  }
  const prefix = options.chunkPrefix ?? DEFAULT_CHUNK_PREFIX;
  const manifest: Manifest = {
    chunks: Math.ceil(bytes.byteLength / CHUNK_BYTES),
    bytes: bytes.byteLength,
    prefix,
    version: crypto.randomUUID(),
  };
  const keys = chunkKeysOf(manifest);
  const perOp = Math.floor(ATOMIC_BYTES_BUDGET / CHUNK_BYTES);
  for (let start = 0; start < keys.length; start += perOp) {
    const op = kv.atomic();
    for (let i = start; i < Math.min(start + perOp, keys.length); i++) {
      const chunk = bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
      op.set(keys[i], chunk, { expireIn: options.expireIn });
    }
    const result = await op.commit();
    if (!result.ok) throw new Error("Cannot write a chunked value: the chunk write was rejected.");
  }
  return {
    manifest,
    size: 256,
    discard: () => deleteKeys(kv, keys),
  };
}

/** Reads the values behind many manifests, batching the chunk reads. */
export async function resolveManifests<T = unknown>(
  kv: Deno.Kv,
  manifests: Manifest[],
): Promise<T[]> {
  const wanted = manifests.flatMap(chunkKeysOf);
  const found = new Map<string, Uint8Array>();
  for (let i = 0; i < wanted.length; i += GET_MANY_MAX) {
    const batch = wanted.slice(i, i + GET_MANY_MAX);
    const entries = await kv.getMany<Uint8Array[]>(batch);
    for (const entry of entries) {
      if (entry.value instanceof Uint8Array) found.set(keyId(entry.key), entry.value);
    }
  }
  return manifests.map((manifest) => {
    if ("inline" in manifest) return JSON.parse(decoder.decode(manifest.inline)) as T;
    const out = new Uint8Array(manifest.bytes);
    let offset = 0;
    for (const key of chunkKeysOf(manifest)) {
      const chunk = found.get(keyId(key));
      if (!chunk) {
        throw new Error(
          `Cannot read a chunked value: chunk ${String(key.at(-1))} of ${manifest.chunks} ` +
            `is missing (expired or deleted).`,
        );
      }
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return JSON.parse(decoder.decode(out)) as T;
  });
}

/** Reads the value behind one manifest. */
export async function resolveManifest<T = unknown>(kv: Deno.Kv, manifest: Manifest): Promise<T> {
  return (await resolveManifests<T>(kv, [manifest]))[0];
}

/**
 * Stores a value of any size at `key`, replacing what was there; old chunks are removed after the
 * new manifest is committed.
 *
 * @example
 * ```ts
 * await setChunked(kv, ["notes", "big"], { text: "x".repeat(1_000_000) });
 * const back = await getChunked<{ text: string }>(kv, ["notes", "big"]);
 * ```
 */
export async function setChunked(
  kv: Deno.Kv,
  key: Deno.KvKey,
  value: unknown,
  options: ChunkedWriteOptions = {},
): Promise<void> {
  const old = await kv.get(key);
  const staged = await stageChunked(kv, value, options);
  const result = await kv.atomic()
    .check({ key, versionstamp: old.versionstamp })
    .set(key, staged.manifest, { expireIn: options.expireIn })
    .commit();
  if (!result.ok) {
    await staged.discard();
    // Someone else wrote the key meanwhile; last writer wins, as with a plain kv.set.
    return await setChunked(kv, key, value, options);
  }
  if (isManifest(old.value)) await deleteKeys(kv, chunkKeysOf(old.value));
}

/** Reads a value written by {@link setChunked}; null when the key is absent. */
export async function getChunked<T = unknown>(kv: Deno.Kv, key: Deno.KvKey): Promise<T | null> {
  for (let attempt = 0;; attempt++) {
    const entry = await kv.get(key);
    if (entry.value === null) return null;
    if (!isManifest(entry.value)) {
      throw new Error(
        `Cannot read ${JSON.stringify(key)}: the stored value is not a chunked value.`,
      );
    }
    try {
      return await resolveManifest<T>(kv, entry.value);
    } catch (error) {
      // A writer replaced the value and removed the old chunks between our two reads: the
      // manifest moved on, so read the new one.
      const now = await kv.get(key);
      if (attempt >= 3 || now.versionstamp === entry.versionstamp) throw error;
    }
  }
}

/** Deletes a chunked value and its chunks. */
export async function deleteChunked(kv: Deno.Kv, key: Deno.KvKey): Promise<void> {
  const entry = await kv.get(key);
  await kv.delete(key);
  if (isManifest(entry.value)) await deleteKeys(kv, chunkKeysOf(entry.value));
}

/** Deletes keys in atomic batches. */
export async function deleteKeys(kv: Deno.Kv, keys: Deno.KvKey[]): Promise<void> {
  for (let i = 0; i < keys.length; i += ATOMIC_MUTATIONS_MAX) {
    const op = kv.atomic();
    for (const key of keys.slice(i, i + ATOMIC_MUTATIONS_MAX)) op.delete(key);
    await op.commit();
  }
}

/** A map key for a KV key; chunk keys hold only strings and numbers. */
function keyId(key: Deno.KvKey): string {
  return JSON.stringify(key);
}
