/**
 * The `write_file` tool: writes a whole file, creating its parent folders.
 * @module
 */
import { z } from "zod";
import type { Tool, ToolInfo } from "./registry.ts";
import type { ToolSettings } from "./tool_sandbox.ts";
import { type FileToolOptions, ToolFiles } from "./text_files.ts";
import { unconfinedReason } from "./tool_sandbox.ts";

const parameters = z.object({
  path: z.string().min(1).describe(
    "The file to write, relative to the workspace. Missing parent folders are created.",
  ),
  content: z.string().describe("The complete new content of the file."),
});

/** What the CLI and docs need about the `write_file` tool. */
export const WRITE_FILE_INFO: ToolInfo = {
  name: "write_file",
  summaryArgs: ["path"],
};

/**
 * Creates the write_file tool.
 *
 * @example
 * ```ts
 * registry.register(writeFileTool(config.tools));
 * ```
 */
export function writeFileTool(
  settings: ToolSettings,
  options: FileToolOptions = {},
): Tool<typeof parameters> {
  const files = new ToolFiles(settings, options);
  return {
    ...WRITE_FILE_INFO,
    description: "Create a file or replace its whole content, inside the workspace. Parent " +
      "folders are created as needed. To change part of an existing file, prefer patch.",
    parameters,
    // Confined, a write is the workspace's business; unconfined, each one asks first.
    classify: async () => {
      const sandbox = await files.sandbox();
      return sandbox.confined
        ? { dangerous: false }
        : { dangerous: true, reason: unconfinedReason(sandbox) };
    },
    async execute({ path, content }, context) {
      const { file, existed, bytes } = await files.write(path, content, context);
      return `${existed ? "Overwrote" : "Created"} ${file.shown}: wrote ${bytes} bytes.`;
    },
  };
}
