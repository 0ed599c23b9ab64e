/**
 * The `search_files` tool: a regex search over file contents and a glob over file names, run by
 * ripgrep inside the sandbox — a linear-time regex engine, in its own process, with a time
 * limit and the turn's AbortSignal — skipping binaries, .git and node_modules.
 * @module
 */
import { z } from "zod";
import { findExecutable, runInSandbox } from "../sandbox/mod.ts";
import type { Tool, ToolInfo } from "./registry.ts";
import type { ToolSettings } from "./tool_sandbox.ts";
import { type FileToolOptions, ToolFiles } from "./text_files.ts";
import { displayPath } from "./workspace_paths.ts";

/** Matching lines (or file names) returned at most. */
export const MAX_MATCHES = 200;
/** How long one search may run before ripgrep is killed. */
export const SEARCH_TIMEOUT_MS = 30_000;
/** Characters of a matching line shown. */
const MAX_LINE_CHARS = 300;
/** Folders never descended into. */
const SKIPPED_DIRS = [".git", "node_modules", ".hg", ".svn"];
/** Bytes of ripgrep output read at most (the first MAX_MATCHES results fit well within). */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

const parameters = z.object({
  pattern: z.string().describe(
    "A regular expression (ripgrep / Rust syntax: no lookaround or backreferences) searched " +
      "for in each line of file contents, e.g. `function\\s+main` or `TODO`. Prefix with (?i) " +
      "to ignore case. Pass an empty string to list files by name only (with glob).",
  ),
  path: z.string().optional().describe(
    "The folder (or file) to search, relative to the workspace. Default: the whole workspace.",
  ),
  glob: z.string().optional().describe(
    "Only files whose name matches this glob, e.g. `*.ts` or `src/**/*.test.ts` (a glob with a " +
      "/ matches the path relative to the search folder).",
  ),
});

let ripgrep: Promise<string | null> | undefined;

/** What the CLI and docs need about the `search_files` tool. */
export const SEARCH_FILES_INFO: ToolInfo = {
  name: "search_files",
  summaryArgs: ["pattern", "path"],
};

/**
 * Creates the search_files tool.
 *
 * @example
 * ```ts
 * registry.register(searchFilesTool(config.tools));
 * ```
 */
export function searchFilesTool(
  settings: ToolSettings,
  options: FileToolOptions = {},
): Tool<typeof parameters> {
  const files = new ToolFiles(settings, options);
  return {
    ...SEARCH_FILES_INFO,
    description: "Search the workspace: lines of file contents matching a regular expression " +
      "(results as `path:line: text`), optionally only in files whose names match a glob; with " +
      `an empty pattern, list the files matching the glob. At most ${MAX_MATCHES} results. ` +
      "Skips binary files, .git and node_modules.",
    parameters,
    readOnly: true,
    async execute({ pattern, path = ".", glob }, context) {
      if (pattern === "" && !glob) {
        return { output: "Give a pattern, a glob, or both.", isError: true };
      }
      ripgrep ??= findExecutable("rg").then((p) => p ? Deno.realPath(p) : null);
      const rg = await ripgrep;
      if (!rg) {
        return {
          output: "search_files needs ripgrep, which is not installed on the gateway's machine " +
            "(apt-get install ripgrep). Use terminal with grep meanwhile.",
          isError: true,
        };
      }
      const root = await files.resolveLexically(path, context);
      const args = [
        "--no-config",
        "--no-ignore",
        "--hidden",
        "--no-messages",
        "--color=never",
        "--sort=path",
        ...SKIPPED_DIRS.flatMap((d) => ["--glob", `!${d}`]),
        ...(glob ? ["--glob", glob] : []),
      ];
      if (pattern === "") args.push("--files", "--null");
      else {
        args.push(
          "--null",
          "--line-number",
          "--no-heading",
          "--with-filename",
          "--max-filesize=5M",
          `--max-count=${MAX_MATCHES}`,
          `--max-columns=${MAX_LINE_CHARS * 4}`,
          "--max-columns-preview",
          "--regexp",
          pattern,
        );
      }
      args.push("--", root.absolute);
      const result = await runInSandbox(await files.sandbox(), [rg, ...args], {
        layout: "files",
        workspace: context.workspace,
        executables: [rg],
        hostEnv: { PATH: "/usr/bin:/bin" },
        timeoutMs: SEARCH_TIMEOUT_MS,
        signal: context.signal,
        maxStdout: MAX_OUTPUT_BYTES,
        maxStderr: 8192,
      });
      if (result.ended === "abort") return { output: "error: interrupted", isError: true };
      if (result.ended === "timeout") {
        return {
          output: `The search did not finish within ${SEARCH_TIMEOUT_MS / 1000} s and was ` +
            "stopped; narrow the path or glob.",
          isError: true,
        };
      }
      const stderr = result.stderr.text().trim();
      if (result.code === 2 && /regex parse error|error parsing/i.test(stderr)) {
        return {
          output: `The pattern is not a valid regular expression for ripgrep: ${stderr}`,
          isError: true,
        };
      }
      if (result.code === 2 && /No such file|not found/i.test(stderr + result.stdout.text())) {
        return { output: `${root.shown} does not exist.`, isError: true };
      }
      const workspace = await Deno.realPath(context.workspace).catch(() => context.workspace);
      const results: string[] = [];
      const out = result.stdout.text();
      const records = pattern === "" ? out.split("\0") : out.split("\n");
      for (const record of records) {
        if (results.length >= MAX_MATCHES) break;
        if (pattern === "") {
          if (record.trim() !== "" && !record.startsWith("\n[…")) {
            results.push(displayPath(record.replace(/^\n/, ""), workspace));
          }
          continue;
        }
        const nul = record.indexOf("\0");
        if (nul === -1) continue;
        const match = /^(\d+):(.*)$/s.exec(record.slice(nul + 1));
        if (!match) continue;
        let text = match[2].replace(/\r$/, "").trim();
        if (text.length > MAX_LINE_CHARS) text = text.slice(0, MAX_LINE_CHARS) + " …";
        results.push(`${displayPath(record.slice(0, nul), workspace)}:${match[1]}: ${text}`);
      }
      const more = records.filter((r) => r.trim() !== "").length > results.length;
      if (results.length === 0) return `No matches in ${root.shown}.`;
      if (more || results.length >= MAX_MATCHES) {
        results.push(
          `[stopped after ${results.length} results; ` +
            "narrow the pattern, path or glob to see the rest]",
        );
      }
      return results.join("\n");
    },
  };
}
