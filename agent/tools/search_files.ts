/**
 * The `search_files` tool: a regex search over file contents and a glob over file names, walking
 * the workspace in TypeScript (no ripgrep needed), skipping binaries, .git and node_modules.
 * @module
 */
import { join, matchesGlob, relative } from "node:path";
import { z } from "zod";
import type { Config } from "../../config/mod.ts";
import type { Tool } from "./registry.ts";
import { looksBinary, resolveToolPath } from "./text_files.ts";
import { displayPath } from "./workspace_paths.ts";

/** Matching lines (or file names) returned at most. */
export const MAX_MATCHES = 200;
/** Files looked at at most, so a search over a huge tree ends. */
const MAX_FILES = 20_000;
/** Files larger than this are not searched. */
const MAX_SEARCH_BYTES = 5 * 1024 * 1024;
/** Characters of a matching line shown. */
const MAX_LINE_CHARS = 300;
/** Folders never descended into. */
const SKIPPED_DIRS = new Set([".git", "node_modules", ".hg", ".svn"]);

const parameters = z.object({
  pattern: z.string().describe(
    "A JavaScript regular expression searched for in each line of file contents, e.g. " +
      "`function\\s+main` or `TODO`. Prefix with (?i) to ignore case. Pass an empty string to " +
      "list files by name only (with glob).",
  ),
  path: z.string().optional().describe(
    "The folder (or file) to search, relative to the workspace. Default: the whole workspace.",
  ),
  glob: z.string().optional().describe(
    "Only files whose name matches this glob, e.g. `*.ts` or `src/**/*.test.ts` (a glob with a " +
      "/ matches the path relative to the search folder).",
  ),
});

/**
 * Creates the search_files tool.
 *
 * @example
 * ```ts
 * registry.register(searchFilesTool(config));
 * ```
 */
export function searchFilesTool(config: Config): Tool<typeof parameters> {
  return {
    name: "search_files",
    description: "Search the workspace: lines of file contents matching a regular expression " +
      "(results as `path:line: text`), optionally only in files whose names match a glob; with " +
      `an empty pattern, list the files matching the glob. At most ${MAX_MATCHES} results. ` +
      "Skips binary files, .git and node_modules.",
    parameters,
    readOnly: true,
    async execute({ pattern, path = ".", glob }, context) {
      let regex: RegExp | null = null;
      if (pattern !== "") {
        const ignoreCase = pattern.startsWith("(?i)");
        try {
          regex = new RegExp(ignoreCase ? pattern.slice(4) : pattern, ignoreCase ? "i" : "");
        } catch (e) {
          return {
            output: `The pattern is not a valid regular expression: ${(e as Error).message}`,
            isError: true,
          };
        }
      } else if (!glob) {
        return { output: "Give a pattern, a glob, or both.", isError: true };
      }
      const root = await resolveToolPath(path, config, context);
      const results: string[] = [];
      let files = 0;
      let capped = false;
      for await (const file of walk(root.absolute, context.signal)) {
        if (++files > MAX_FILES) {
          capped = true;
          break;
        }
        const rel = relative(root.absolute, file) || file.slice(file.lastIndexOf("/") + 1);
        if (glob && !globMatches(glob, rel)) continue;
        const shown = displayPath(file, context.workspace);
        if (!regex) {
          results.push(shown);
        } else {
          for (const hit of await searchFile(file, regex)) {
            results.push(`${shown}:${hit.line}: ${hit.text}`);
            if (results.length >= MAX_MATCHES) break;
          }
        }
        if (results.length >= MAX_MATCHES) {
          capped = true;
          break;
        }
      }
      if (results.length === 0) {
        return capped
          ? `No matches in the first ${MAX_FILES} files; narrow the path or glob.`
          : `No matches in ${root.shown}.`;
      }
      if (capped) {
        results.push(
          `[stopped after ${results.length} results in ${Math.min(files, MAX_FILES)} files; ` +
            "narrow the pattern, path or glob to see the rest]",
        );
      }
      return results.join("\n");
    },
  };
}

function globMatches(glob: string, rel: string): boolean {
  const name = rel.slice(rel.lastIndexOf("/") + 1);
  return glob.includes("/") ? matchesGlob(rel, glob) : matchesGlob(name, glob);
}

/** Every regular file below `root` (or `root` itself), without following symlinks. */
async function* walk(root: string, signal: AbortSignal): AsyncGenerator<string> {
  const info = await Deno.lstat(root);
  if (info.isFile) {
    yield root;
    return;
  }
  const pending = [root];
  while (pending.length > 0) {
    signal.throwIfAborted();
    const dir = pending.shift()!;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      continue; // Unreadable folders are skipped, not fatal.
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory && !SKIPPED_DIRS.has(entry.name)) pending.push(full);
      else if (entry.isFile) yield full;
    }
  }
}

async function searchFile(file: string, regex: RegExp): Promise<{ line: number; text: string }[]> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(file);
    if (info.size > MAX_SEARCH_BYTES) return [];
    bytes = await Deno.readFile(file);
  } catch {
    return [];
  }
  if (looksBinary(bytes)) return [];
  const hits: { line: number; text: string }[] = [];
  const lines = new TextDecoder().decode(bytes).split("\n");
  for (let i = 0; i < lines.length && hits.length < MAX_MATCHES; i++) {
    if (!regex.test(lines[i])) continue;
    let text = lines[i].replace(/\r$/, "").trim();
    if (text.length > MAX_LINE_CHARS) text = text.slice(0, MAX_LINE_CHARS) + " …";
    hits.push({ line: i + 1, text });
  }
  return hits;
}
