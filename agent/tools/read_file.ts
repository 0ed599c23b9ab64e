/**
 * The `read_file` tool: a text file's lines, numbered, a window at a time.
 * @module
 */
import { z } from "zod";
import type { Tool, ToolInfo } from "./registry.ts";
import type { ToolSettings } from "./tool_sandbox.ts";
import { type FileToolOptions, ToolFiles } from "./text_files.ts";

/** Lines returned when the model does not ask for a limit. */
export const DEFAULT_LINE_LIMIT = 2000;
/** Characters kept of one line; longer lines are cut with a note. */
export const MAX_LINE_CHARS = 2000;

const parameters = z.object({
  path: z.string().min(1).describe(
    "The file to read, relative to the workspace (e.g. `src/main.ts`).",
  ),
  offset: z.number().int().min(1).optional().describe(
    "The first line to return, counting from 1. Default 1.",
  ),
  limit: z.number().int().min(1).optional().describe(
    `How many lines to return. Default ${DEFAULT_LINE_LIMIT}.`,
  ),
});

/** What the CLI and docs need about the `read_file` tool. */
export const READ_FILE_INFO: ToolInfo = {
  name: "read_file",
  summaryArgs: ["path"],
};

/**
 * Creates the read_file tool.
 *
 * @example
 * ```ts
 * registry.register(readFileTool(config.tools));
 * ```
 */
export function readFileTool(
  settings: ToolSettings,
  options: FileToolOptions = {},
): Tool<typeof parameters> {
  const files = new ToolFiles(settings, options);
  return {
    ...READ_FILE_INFO,
    description: "Read a text file from the workspace. Lines come numbered as `  12│text`; the " +
      "number and the │ are not part of the file. Returns up to 2000 lines from `offset`; use " +
      "offset and limit to page through long files. Binary files, files over 10 MB and files with several hard links are refused.",
    parameters,
    readOnly: true,
    async execute({ path, offset = 1, limit = DEFAULT_LINE_LIMIT }, context) {
      const { file, text } = await files.read(path, context);
      if (text === "") return `${file.shown} is empty.`;
      const lines = text.split("\n");
      if (lines.at(-1) === "") lines.pop();
      if (offset > lines.length) {
        return {
          output: `${file.shown} has ${lines.length} lines; offset ${offset} is past the end.`,
          isError: true,
        };
      }
      const end = Math.min(lines.length, offset - 1 + limit);
      const width = String(end).length;
      const out: string[] = [];
      for (let i = offset - 1; i < end; i++) {
        let line = lines[i].replace(/\r$/, "");
        if (line.length > MAX_LINE_CHARS) {
          line = line.slice(0, MAX_LINE_CHARS) +
            ` … [line cut: ${line.length} chars in total]`;
        }
        out.push(`${String(i + 1).padStart(Math.max(6, width))}│${line}`);
      }
      if (end < lines.length || offset > 1) {
        out.push(
          `[lines ${offset}–${end} of ${lines.length}` +
            (end < lines.length ? `; continue with offset ${end + 1}]` : "]"),
        );
      }
      return out.join("\n");
    },
  };
}
