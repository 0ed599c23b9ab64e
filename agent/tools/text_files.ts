/**
 * What the file tools share: resolving the model's path inside the allowed roots, and reading a
 * text file with a size cap and a refusal for binary content.
 * @module
 */
import type { Config } from "../../config/mod.ts";
import type { ToolContext } from "./registry.ts";
import { displayPath, resolveWorkspacePath } from "./workspace_paths.ts";

/** Files larger than this are not read by read_file or patch. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** How many leading bytes are checked for NUL to tell binary files apart. */
const SNIFF_BYTES = 8192;

/** A resolved path, and how to show it to the model. */
export interface ResolvedPath {
  absolute: string;
  shown: string;
}

/** Resolves a path the model sent, confined to the workspace and `tools.files.extra_roots`. */
export async function resolveToolPath(
  path: string,
  config: Config,
  context: ToolContext,
): Promise<ResolvedPath> {
  const absolute = await resolveWorkspacePath(path, {
    workspace: context.workspace,
    extraRoots: config.tools.files.extra_roots,
  });
  return { absolute, shown: displayPath(absolute, context.workspace) };
}

/** True when the bytes look binary (a NUL byte near the start). */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, SNIFF_BYTES).includes(0);
}

/**
 * Reads a text file for a tool.
 * @throws Error with a message for the model when the file is missing, a directory, too large or
 * binary.
 */
export async function readToolTextFile(path: ResolvedPath): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path.absolute);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`${path.shown} does not exist. Check the path with search_files.`);
    }
    throw e;
  }
  if (info.isDirectory) {
    throw new Error(
      `${path.shown} is a directory, not a file. List it with terminal (ls) or search_files.`,
    );
  }
  if (info.size > MAX_FILE_BYTES) {
    throw new Error(
      `${path.shown} is too large (${info.size} bytes; the limit is ${MAX_FILE_BYTES}). ` +
        "Use terminal with head, tail, sed -n or grep to read parts of it.",
    );
  }
  const bytes = await Deno.readFile(path.absolute);
  if (looksBinary(bytes)) {
    throw new Error(
      `${path.shown} is a binary file (${bytes.length} bytes), not text; it cannot be read as ` +
        "text. Use terminal (file, xxd, or a suitable converter) to inspect it.",
    );
  }
  return new TextDecoder().decode(bytes);
}
