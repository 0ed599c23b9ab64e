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

/** The body as JSON bytes (see the module doc). */
export function encodeBody(body: RequestBody): Uint8Array {
  const tools = body.tools;
  if (!tools || tools.length === 0) return encoder.encode(JSON.stringify(body));
  // Undefined members are left out by JSON.stringify.
  const head = encoder.encode(JSON.stringify({ ...body, tools: undefined }));
  let size = head.length + TOOLS_AFTER.length + tools.length;
  const parts: Uint8Array[] = [];
  for (const tool of tools) {
    let bytes = toolBytes.get(tool);
    if (bytes === undefined) {
      bytes = encoder.encode(JSON.stringify(tool));
      toolBytes.set(tool, bytes);
    }
    parts.push(bytes);
    size += bytes.length;
  }
  const out = new Uint8Array(size);
  // The head without its closing brace, then the tools, then the brace.
  out.set(head.subarray(0, head.length - 1));
  let at = head.length - 1;
  const opening = head.length > 2 ? TOOLS_AFTER : TOOLS_ALONE;
  out.set(opening, at);
  at += opening.length;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = COMMA;
    out.set(parts[i], at);
    at += parts[i].length;
  }
  out[at++] = CLOSE_LIST;
  out[at++] = CLOSE_OBJECT;
  return at === size ? out : out.subarray(0, at);
}
