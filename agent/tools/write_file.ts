/**
 * The `write_file` tool: writes a whole file, creating its parent folders.
 * @module
 */
import { dirname } from "node:path";
import { z } from "zod";
import type { Config } from "../../config/mod.ts";
import type { Tool } from "./registry.ts";
import { resolveToolPath } from "./text_files.ts";

const parameters = z.object({
  path: z.string().min(1).describe(
    "The file to write, relative to the workspace. Missing parent folders are created.",
  ),
  content: z.string().describe("The complete new content of the file."),
});

/**
 * Creates the write_file tool.
 *
 * @example
 * ```ts
 * registry.register(writeFileTool(config));
 * ```
 */
export function writeFileTool(config: Config): Tool<typeof parameters> {
  return {
    name: "write_file",
    description: "Create a file or replace its whole content, inside the workspace. Parent " +
      "folders are created as needed. To change part of an existing file, prefer patch.",
    parameters,
    async execute({ path, content }, context) {
      const file = await resolveToolPath(path, config, context);
      let existed = false;
      try {
        const info = await Deno.stat(file.absolute);
        if (info.isDirectory) {
          return { output: `${file.shown} is a directory; give a file path.`, isError: true };
        }
        existed = true;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      await Deno.mkdir(dirname(file.absolute), { recursive: true });
      const bytes = new TextEncoder().encode(content);
      await Deno.writeFile(file.absolute, bytes);
      return `${existed ? "Overwrote" : "Created"} ${file.shown}: wrote ${bytes.length} bytes.`;
    },
  };
}
