/**
 * How one turn of a response chain is stored under its turn key. A turn small enough for one KV
 * value is stored as a plain object beside its link, so a rebuild decodes nothing itself; only
 * larger turns go through chunked storage.
 * @module
 */
import { chunkKeysOf, type Manifest } from "./chunked.ts";
import type { ResponseItem, TurnItems } from "./response_types.ts";

/**
 * A turn as the chain index knows it: the items themselves when they fit one KV value, else a
 * manifest naming their chunks. Neither for a deleted response, whose link is kept so later
 * turns still chain past it.
 */
export interface TurnEntry {
  prev: string | null;
  items?: Manifest;
  input?: ResponseItem[];
  output?: ResponseItem[];
}

/**
 * What is stored under a turn key: a small turn is its whole entry as UTF-8 JSON bytes (one
 * value, decoded with one `JSON.parse` — several times faster for KV to hand back than the same
 * data as a structured object); a big or deleted turn is a `{prev, items?}` object.
 */
export type StoredTurn = Uint8Array | { prev: string | null; items?: Manifest };

/** Largest encoded turn kept inline: under KV's 65,536-byte value cap. */
export const INLINE_TURN_BYTES = 60_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A small turn's entry as the UTF-8 JSON bytes stored inline. */
export function encodeTurn(entry: TurnEntry): Uint8Array {
  return encoder.encode(JSON.stringify(entry));
}

/** Decodes what is stored under a turn key. */
export function turnEntryOf(stored: StoredTurn): TurnEntry {
  return stored instanceof Uint8Array ? JSON.parse(decoder.decode(stored)) : stored;
}

/** The items of a turn entry, or null when they are behind a manifest (or deleted). */
export function plainItems(entry: TurnEntry): Omit<TurnItems, "id"> | null {
  return entry.input ? { input: entry.input, output: entry.output ?? [] } : null;
}

/** The chunk keys a turn entry owns (none when its items are inline). */
export function staleChunks(entry: TurnEntry): Deno.KvKey[] {
  return entry.items ? chunkKeysOf(entry.items) : [];
}
