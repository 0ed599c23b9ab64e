/**
 * The upstream request body as UTF-8 JSON bytes. The tool declarations are most of it (about
 * 6 KB of the 7.5 KB a default gateway sends) and are the same objects request after request
 * (the registry makes one per tool when it is registered and never changes it; a re-registered
 * tool gets a new one), so each one's bytes are kept and copied in: neither `JSON.stringify` nor
 * `fetch`'s encoding of a string body goes over them again. `tools` comes last; nothing else
 * changes: the bytes are those of `JSON.stringify(body)` with `tools` moved to the end.
 * @module
 */

const encoder = new TextEncoder();

/** Each tool declaration's JSON bytes, by the declaration object. */
const toolBytes = new WeakMap<object, Uint8Array>();

/** `,"tools":[` (after other members) and `"tools":[` (alone). */
const TOOLS_AFTER = encoder.encode(',"tools":[');
const TOOLS_ALONE = TOOLS_AFTER.subarray(1);
const COMMA = 0x2c;
const CLOSE_LIST = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** A request body: any JSON members, and the tool declarations. */
export interface RequestBody {
  tools?: readonly object[];
  [key: string]: unknown;
}

/**
 * Bodies are written into slices of a shared buffer, a new one when the rest of the current one
 * is too small: one allocation per many requests instead of one or two per request (an
 * allocation of a few kilobytes outside the JavaScript heap costs about as much as encoding
 * them). `fetch` copies a body when it is handed one, so a slice is garbage soon after; a
 * buffer is freed once none of its slices are left.
 */
const POOL_BYTES = 64 * 1024;
let pool = new Uint8Array(0);
let poolUsed = 0;

/** A slice of the pool with room for `size` bytes (shortened with {@link commit}). */
function reserve(size: number): Uint8Array {
  if (pool.length - poolUsed < size) {
    pool = new Uint8Array(Math.max(POOL_BYTES, size));
    poolUsed = 0;
  }
  return pool.subarray(poolUsed, poolUsed + size);
}

/** Takes the first `length` bytes of the slice {@link reserve} gave, leaving the rest free. */
function commit(slice: Uint8Array, length: number): Uint8Array {
  // The next slice starts on an 8-byte boundary.
  poolUsed += (length + 7) & ~7;
  return slice.subarray(0, length);
}

/** The body as JSON bytes (see the module doc). */
export function encodeBody(body: RequestBody): Uint8Array {
  const tools = body.tools;
  // Undefined members are left out by JSON.stringify.
  const head = JSON.stringify(tools && tools.length > 0 ? { ...body, tools: undefined } : body);
  let toolsSize = 0;
  const parts: Uint8Array[] = [];
  if (tools && tools.length > 0) {
    for (const tool of tools) {
      let bytes = toolBytes.get(tool);
      if (bytes === undefined) {
        bytes = encoder.encode(JSON.stringify(tool));
        toolBytes.set(tool, bytes);
      }
      parts.push(bytes);
      toolsSize += bytes.length;
    }
  }
  // A UTF-16 code unit takes at most 3 bytes in UTF-8.
  const out = reserve(head.length * 3 + TOOLS_AFTER.length + parts.length + 1 + toolsSize);
  let at = encoder.encodeInto(head, out).written;
  if (parts.length === 0) return commit(out, at);
  // The head without its closing brace, then the tools, then the brace.
  at--;
  const opening = at > 1 ? TOOLS_AFTER : TOOLS_ALONE;
  out.set(opening, at);
  at += opening.length;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = COMMA;
    out.set(parts[i], at);
    at += parts[i].length;
  }
  out[at++] = CLOSE_LIST;
  out[at++] = CLOSE_OBJECT;
  return commit(out, at);
}
