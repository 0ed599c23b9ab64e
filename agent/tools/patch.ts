/**
 * The `patch` tool: replaces an exact piece of a file, refusing when the piece is missing or
 * ambiguous, and answers with a short unified-style diff so the model sees what changed.
 * @module
 */
import { z } from "zod";
import type { Tool, ToolInfo } from "./registry.ts";
import type { ToolSettings } from "./tool_sandbox.ts";
import { type FileToolOptions, ToolFiles } from "./text_files.ts";
import { unconfinedReason } from "./tool_sandbox.ts";

/** Unchanged lines shown around each change. */
const CONTEXT_LINES = 2;
/** Diff lines returned at most. */
const MAX_DIFF_LINES = 80;

const parameters = z.object({
  path: z.string().min(1).describe("The file to change, relative to the workspace."),
  old_string: z.string().min(1).describe(
    "The exact text to replace, copied from the file including whitespace and indentation. " +
      "It must occur exactly once unless replace_all is true; include surrounding lines to " +
      "make it unique.",
  ),
  new_string: z.string().describe("The text to put in its place (may be empty to delete)."),
  replace_all: z.boolean().optional().describe(
    "Replace every occurrence instead of requiring exactly one. Default false.",
  ),
});

/** What the CLI and docs need about the `patch` tool. */
export const PATCH_INFO: ToolInfo = {
  name: "patch",
  summaryArgs: ["path"],
};

/**
 * Creates the patch tool.
 *
 * @example
 * ```ts
 * registry.register(patchTool(config.tools));
 * ```
 */
export function patchTool(
  settings: ToolSettings,
  options: FileToolOptions = {},
): Tool<typeof parameters> {
  const files = new ToolFiles(settings, options);
  return {
    ...PATCH_INFO,
    description: "Edit a file by replacing an exact string with another. old_string must match " +
      "the file exactly (read the file first) and be unique unless replace_all is set. " +
      "Returns a diff of the change.",
    parameters,
    // Confined, a write is the workspace's business; unconfined, each one asks first.
    classify: async () => {
      const sandbox = await files.sandbox();
      return sandbox.confined
        ? { dangerous: false }
        : { dangerous: true, reason: unconfinedReason(sandbox) };
    },
    async execute({ path, old_string, new_string, replace_all = false }, context) {
      const { file, text: before } = await files.read(path, context);
      if (old_string === new_string) {
        return { output: "old_string and new_string are the same; nothing to do.", isError: true };
      }
      const positions = occurrences(before, old_string);
      if (positions.length === 0) {
        return {
          output: `old_string was not found in ${file.shown}. It must match the file exactly, ` +
            "including whitespace and indentation; read the file again and copy the text.",
          isError: true,
        };
      }
      if (positions.length > 1 && !replace_all) {
        const line = lineIndex(before);
        return {
          output: `old_string occurs ${positions.length} times in ${file.shown} (lines ` +
            positions.slice(0, 20).map((p) => line(p) + 1).join(", ") +
            "). Include more surrounding context so it matches exactly once, " +
            "or set replace_all: true to change every occurrence.",
          isError: true,
        };
      }
      const after = before.split(old_string).join(new_string);
      await files.write(file.absolute, after, context);
      const count = positions.length;
      return `Patched ${file.shown}: ${count} replacement${count === 1 ? "" : "s"}.\n` +
        renderDiff(file.shown, before, after, positions, old_string.length, new_string.length);
    },
  };
}

/** Start indices of the non-overlapping occurrences of `needle`. */
function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) {
    found.push(i);
  }
  return found;
}

/** Returns a function from character index to 0-based line, by binary search over newlines. */
function lineIndex(text: string): (index: number) => number {
  const breaks: number[] = [];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) breaks.push(i);
  return (index) => {
    let lo = 0;
    let hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (breaks[mid] < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface Hunk {
  /** 0-based first and last (inclusive) lines of the old file the hunk replaces. */
  oldStart: number;
  oldEnd: number;
  /** 0-based first and last (inclusive) lines of the new file that replace them. */
  newStart: number;
  newEnd: number;
}

/** A unified-style diff with one hunk per group of nearby replacements. */
function renderDiff(
  shown: string,
  before: string,
  after: string,
  positions: number[],
  oldLength: number,
  newLength: number,
): string {
  const oldLines = before.split("\n");
  const newLines = after.split("\n");
  // A final newline ends the last line; it does not start an empty one worth showing.
  const lastLine = oldLines.length - 1 - (before.endsWith("\n") ? 1 : 0);
  const oldLine = lineIndex(before);
  const newLine = lineIndex(after);
  const hunks: Hunk[] = [];
  positions.forEach((p, i) => {
    const q = p + i * (newLength - oldLength);
    // Whole lines from the one the match starts on to the one the text after it continues on.
    const hunk: Hunk = {
      oldStart: oldLine(p),
      oldEnd: oldLine(p + oldLength),
      newStart: newLine(q),
      newEnd: newLine(q + newLength),
    };
    const last = hunks.at(-1);
    if (last && hunk.oldStart - last.oldEnd <= 2 * CONTEXT_LINES + 1) {
      last.oldEnd = hunk.oldEnd;
      last.newEnd = hunk.newEnd;
    } else hunks.push(hunk);
  });
  const out = [`--- ${shown}`, `+++ ${shown}`];
  for (const h of hunks) {
    // Drop lines that came out the same at either end of the hunk.
    while (
      h.oldStart <= h.oldEnd && h.newStart <= h.newEnd &&
      oldLines[h.oldStart] === newLines[h.newStart]
    ) {
      h.oldStart++;
      h.newStart++;
    }
    while (
      h.oldEnd >= h.oldStart && h.newEnd >= h.newStart && oldLines[h.oldEnd] === newLines[h.newEnd]
    ) {
      h.oldEnd--;
      h.newEnd--;
    }
    const from = Math.max(0, h.oldStart - CONTEXT_LINES);
    const to = Math.min(lastLine, h.oldEnd + CONTEXT_LINES);
    const removed = oldLines.slice(h.oldStart, h.oldEnd + 1);
    const added = newLines.slice(h.newStart, h.newEnd + 1);
    const oldCount = to - from + 1;
    const newCount = oldCount - removed.length + added.length;
    out.push(`@@ -${from + 1},${oldCount} +${h.newStart - (h.oldStart - from) + 1},${newCount} @@`);
    for (const l of oldLines.slice(from, h.oldStart)) out.push(` ${l}`);
    out.push(...lineDiff(removed, added));
    for (const l of oldLines.slice(h.oldEnd + 1, to + 1)) out.push(` ${l}`);
  }
  if (out.length > MAX_DIFF_LINES) {
    const cut = out.length - MAX_DIFF_LINES;
    out.length = MAX_DIFF_LINES;
    out.push(`[diff cut: ${cut} more lines]`);
  }
  return out.join("\n");
}

/** Diff lines for two small line lists: unchanged lines kept, the rest as - and + (by LCS). */
function lineDiff(a: string[], b: string[]): string[] {
  if (a.length * b.length > 250_000) return [...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)];
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(` ${a[i++]}`);
      j++;
    } else if (j < b.length && (i >= a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      // Removals first reads better: emit - before + when both are possible.
      if (i < a.length && lcs[i + 1][j] === lcs[i][j]) out.push(`-${a[i++]}`);
      else out.push(`+${b[j++]}`);
    } else out.push(`-${a[i++]}`);
  }
  return out;
}
