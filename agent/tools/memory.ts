/**
 * The `memory` tool: lets the model keep durable notes about the user, which are shown to it in
 * the system prompt of every later turn on every platform.
 * @module
 */
import { z } from "zod";
import type { Tool, ToolInfo, ToolOutput } from "./registry.ts";

const parameters = z.object({
  action: z.enum(["add", "replace", "remove", "list"]).describe(
    "add: save a new note (content). replace: change the note containing old_text to content. " +
      "remove: delete the note containing old_text. list: show every note.",
  ),
  content: z.string().optional().describe(
    "The note to save, for add and replace: one short, self-contained fact, e.g. " +
      '"The user\'s name is Ada; she prefers short answers."',
  ),
  old_text: z.string().optional().describe(
    "For replace and remove: a unique part of the existing note, quoted exactly.",
  ),
}).superRefine((args, ctx) => {
  if ((args.action === "add" || args.action === "replace") && !args.content?.trim()) {
    ctx.addIssue({
      code: "custom",
      path: ["content"],
      message: `content is required for ${args.action}`,
    });
  }
  if ((args.action === "replace" || args.action === "remove") && !args.old_text?.trim()) {
    ctx.addIssue({
      code: "custom",
      path: ["old_text"],
      message: `old_text is required for ${args.action}`,
    });
  }
});

/**
 * The notes the memory tool reads and changes; store/memory.ts's `MemoryStore` fits. A change the
 * notes refuse (empty, ambiguous, over the cap) throws an error named `MemoryError`, whose
 * message is shown to the model.
 */
export interface MemoryNotes {
  /** The cap on all notes together, in characters. */
  readonly maxChars: number;
  /** The notes of the one who asks (`ToolContext.actor`), when memory is kept per API key. */
  forActor?(actor: string | undefined): MemoryNotes;
  list(): Promise<string[]>;
  add(text: string): Promise<void>;
  replace(oldText: string, newText: string): Promise<void>;
  remove(oldText: string): Promise<void>;
}

/** True for a refusal the model should read (see {@link MemoryNotes}). */
function isRefusal(error: unknown): error is Error {
  return error instanceof Error && error.name === "MemoryError";
}

/** What the CLI and docs need about the `memory` tool. */
export const MEMORY_INFO: ToolInfo = {
  name: "memory",
  summaryArgs: ["action", "content"],
};

/**
 * Creates the memory tool over its {@link MemoryNotes}.
 *
 * @example
 * ```ts
 * registry.register(memoryTool(new MemoryStore(kv, { maxChars: 4000 })));
 * ```
 */
export function memoryTool(shared: MemoryNotes): Tool<typeof parameters> {
  const memory = shared;
  return {
    ...MEMORY_INFO,
    description: "Your long-term memory about the user, kept across conversations and " +
      "platforms; the notes appear in your system prompt on every turn. Save durable facts " +
      "and preferences (name, projects, how they like answers), not passing details of one task. " +
      `Keep notes short: all notes together may hold ${memory.maxChars} characters. Update a ` +
      "note with replace instead of adding a contradicting one.",
    parameters,
    async execute({ action, content, old_text }, ctx): Promise<ToolOutput> {
      const memory = shared.forActor?.(ctx?.actor) ?? shared;
      try {
        switch (action) {
          case "list":
            return { output: await listing(memory) };
          case "add":
            await memory.add(content!);
            return { output: `Saved. ${await usage(memory)}` };
          case "replace":
            await memory.replace(old_text!, content!);
            return { output: `Replaced. ${await usage(memory)}` };
          case "remove":
            await memory.remove(old_text!);
            return { output: `Removed. ${await usage(memory)}` };
        }
      } catch (e) {
        if (isRefusal(e)) return { output: e.message, isError: true };
        throw e;
      }
    },
  };
}

async function usage(memory: MemoryNotes): Promise<string> {
  const notes = await memory.list();
  const used = notes.reduce((n, s) => n + s.length, 0);
  return `Memory holds ${notes.length} note${notes.length === 1 ? "" : "s"} ` +
    `(${used}/${memory.maxChars} chars).`;
}

async function listing(memory: MemoryNotes): Promise<string> {
  const notes = await memory.list();
  if (notes.length === 0) return `Memory is empty (0/${memory.maxChars} chars).`;
  return notes.map((n, i) => `${i + 1}. ${n}`).join("\n") + `\n\n${await usage(memory)}`;
}
