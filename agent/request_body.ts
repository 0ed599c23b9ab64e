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

/** The body as JSON bytes of its own (see the module doc). */
export function encodeBody(body: RequestBody): Uint8Array<ArrayBuffer> {
  return write(body, scratchOf).slice();
}

/**
 * A body that is encoded when it is sent, into a buffer shared by every request: for `fetch`,
 * which copies a body the moment it is handed one. A body of its own would cost an allocation
 * of a few kilobytes outside the JavaScript heap per request (about as much as encoding them),
 * and `fetch` would copy it anyway.
 */
export class JsonBody {
  constructor(readonly value: RequestBody) {}

  /** The bytes, each time afresh (see {@link encodeBody}). */
  encode(): Uint8Array<ArrayBuffer> {
    return encodeBody(this.value);
  }

  /**
   * The bytes in the shared buffer: valid until the next call, so only for a caller that
   * copies them at once.
   */
  encodeTransient(): Uint8Array<ArrayBuffer> {
    return write(this.value, scratchOf);
  }
}

/** The shared buffer grows to the largest body seen, up to this size; larger ones get their own. */
const MAX_SCRATCH_BYTES = 1024 * 1024;
let scratch: Uint8Array<ArrayBuffer> = new Uint8Array(64 * 1024);

function scratchOf(size: number): Uint8Array<ArrayBuffer> {
  if (size <= scratch.length) return scratch;
  if (size > MAX_SCRATCH_BYTES) return new Uint8Array(size);
  scratch = new Uint8Array(Math.min(MAX_SCRATCH_BYTES, 2 ** Math.ceil(Math.log2(size))));
  return scratch;
}

/** Writes the body into a buffer of at least the size asked for; a view of the bytes written. */
function write(
  body: RequestBody,
  buffer: (size: number) => Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
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
  const out = buffer(head.length * 3 + TOOLS_AFTER.length + parts.length + 1 + toolsSize);
  let at = encoder.encodeInto(head, out).written;
  if (parts.length > 0) {
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
  }
  return out.subarray(0, at);
}
