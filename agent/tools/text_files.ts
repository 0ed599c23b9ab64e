/**
 * What the file tools share: the model's path is checked against the roots here, and the file
 * work itself — resolving symlinks, reading, writing — happens in the sandboxed file helper,
 * where nothing outside the roots exists. Failures come back as messages the model can act on.
 * @module
 */
import { resolve } from "node:path";
import {
  type FileHelperRequest,
  type FileHelperResponse,
  FileHelperSession,
  type Sandbox,
} from "../sandbox/mod.ts";
import type { ToolContext } from "./registry.ts";
import { type SandboxSource, toolSandbox, type ToolSettings } from "./tool_sandbox.ts";
import { displayPath, expandHome, isInside, PathRefusedError } from "./workspace_paths.ts";

/** Files larger than this are not read by read_file or patch. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** How long one file operation may take before its helper is killed. */
export const FILE_OPERATION_TIMEOUT_MS = 30_000;
/** The largest answer a helper may give: a whole file, JSON-escaped, with room to spare. */
const MAX_ANSWER_BYTES = MAX_FILE_BYTES * 2 + 1024 * 1024;
/** How many leading bytes are checked for NUL to tell binary files apart. */
const SNIFF_BYTES = 8192;

/** What a file tool needs besides its settings. */
export interface FileToolOptions {
  /** The sandbox the file helper runs in. Default: one built from the settings. */
  sandbox?: SandboxSource;
}

/** A resolved path, and how to show it to the model. */
export interface ResolvedPath {
  absolute: string;
  shown: string;
}

/** True when the bytes look binary (a NUL byte near the start). */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, SNIFF_BYTES).includes(0);
}

/**
 * The file tools' access to files: each operation is one request to the turn's sandboxed file
 * helper (`context.turn`), started at the turn's first file call and reused until it ends; a
 * call outside any turn gets a helper of its own.
 */
export class ToolFiles {
  #settings: ToolSettings;
  #sandbox?: SandboxSource;

  /** `settings` is the config's `tools` section (roots and sandbox). */
  constructor(settings: ToolSettings, options: FileToolOptions = {}) {
    this.#settings = settings;
    this.#sandbox = options.sandbox;
  }

  /** The sandbox the helper runs in. */
  sandbox(): Promise<Sandbox> {
    return toolSandbox(this.#settings, this.#sandbox);
  }

  /**
   * Reads a text file.
   * @throws Error with a message for the model when the file is missing, outside the roots, a
   * directory, too large, binary or hard-linked.
   */
  async read(path: string, context: ToolContext): Promise<{ file: ResolvedPath; text: string }> {
    const { lexical, roots } = await this.#check(path, context);
    const answer = await this.#call(
      { op: "read", path: lexical, roots, maxBytes: MAX_FILE_BYTES },
      context,
    );
    const file = this.#resolved(answer.real ?? lexical, context);
    if (!answer.ok) throw new Error(failureMessage(path, file, answer));
    return { file, text: answer.text ?? "" };
  }

  /**
   * Writes a whole file (a new file renamed into place), creating parent folders.
   * @throws Error with a message for the model when the path is refused or the write fails.
   */
  async write(
    path: string,
    content: string,
    context: ToolContext,
  ): Promise<{ file: ResolvedPath; existed: boolean; bytes: number }> {
    const sandbox = await this.sandbox();
    if (!sandbox.writable) {
      throw new Error(
        "Files cannot be changed: the sandbox is read-only (tools.sandbox: read-only).",
      );
    }
    const { lexical, roots } = await this.#check(path, context);
    const answer = await this.#call({ op: "write", path: lexical, roots, content }, context);
    const file = this.#resolved(answer.real ?? lexical, context);
    if (!answer.ok) throw new Error(failureMessage(path, file, answer));
    return { file, existed: answer.existed ?? false, bytes: answer.bytes ?? 0 };
  }

  /** The path resolved lexically (no file system access) and refused when it leaves the roots. */
  async resolveLexically(path: string, context: ToolContext): Promise<ResolvedPath> {
    const { lexical } = await this.#check(path, context);
    return this.#resolved(lexical, context);
  }

  #resolved(absolute: string, context: ToolContext): ResolvedPath {
    return { absolute, shown: displayPath(absolute, context.workspace) };
  }

  async #check(path: string, context: ToolContext): Promise<{ lexical: string; roots: string[] }> {
    if (path.includes("\0")) throw new PathRefusedError("The path contains a NUL byte.");
    const workspace = resolve(context.workspace);
    const lexical = resolve(workspace, expandHome(path));
    const configured = [
      workspace,
      ...this.#settings.files.extra_roots.map((r) => resolve(expandHome(r))),
    ];
    const real = await Promise.all(configured.map((r) => Deno.realPath(r).catch(() => null)));
    const roots = real.filter((r): r is string => r !== null);
    if (!configured.some((r) => isInside(lexical, r)) && !roots.some((r) => isInside(lexical, r))) {
      throw new PathRefusedError(
        `The path "${path}" is outside the workspace (${workspace})` +
          (this.#settings.files.extra_roots.length ? " and the configured extra roots" : "") +
          ". File tools may only use paths inside it; use a relative path.",
      );
    }
    // A lexical path through a root's symlinked spelling: use the real spelling in the helper.
    const index = configured.findIndex((r) => isInside(lexical, r));
    const mapped = index >= 0 && real[index]
      ? real[index] + lexical.slice(configured[index].length)
      : lexical;
    return { lexical: mapped, roots };
  }

  async #call(
    request: FileHelperRequest,
    context: ToolContext,
  ): Promise<FileHelperResponse & { real?: string }> {
    const sandbox = await this.sandbox();
    const limits = {
      signal: context.signal,
      timeoutMs: FILE_OPERATION_TIMEOUT_MS,
      maxResponseBytes: MAX_ANSWER_BYTES,
    };
    const options = { workspace: context.workspace, signal: context.signal };
    if (context.turn) {
      // One helper per sandbox and workspace in a turn: what it binds are the roots.
      const key = `file-helper\0${sandboxId(sandbox)}\0${resolve(context.workspace)}`;
      const session = context.turn.use(
        key,
        () =>
          new FileHelperSession(sandbox, {
            ...options,
            signal: context.turnSignal ?? options.signal,
          }),
      );
      return await session.call(request, limits);
    }
    await using session = new FileHelperSession(sandbox, { ...options, keep: false });
    return await session.call(request, limits);
  }
}

const sandboxIds = new WeakMap<Sandbox, number>();
let lastSandboxId = 0;

/** A number naming `sandbox` for as long as it lives (sandboxes with other settings differ). */
function sandboxId(sandbox: Sandbox): number {
  let id = sandboxIds.get(sandbox);
  if (id === undefined) {
    id = ++lastSandboxId;
    sandboxIds.set(sandbox, id);
  }
  return id;
}

function failureMessage(
  path: string,
  file: ResolvedPath,
  answer: Extract<FileHelperResponse, { ok: false }>,
): string {
  switch (answer.code) {
    case "not_found":
      return `${file.shown} does not exist. Check the path with search_files.`;
    case "is_dir":
      return `${file.shown} is a directory, not a file. List it with terminal (ls) or search_files.`;
    case "too_large":
      return `${file.shown} is too large (${answer.size} bytes; the limit is ${MAX_FILE_BYTES}). ` +
        "Use terminal with head, tail, sed -n or grep to read parts of it.";
    case "binary":
      return `${file.shown} is a binary file (${answer.size} bytes), not text; it cannot be read ` +
        "as text. Use terminal (file, xxd, or a suitable converter) to inspect it.";
    case "outside":
      return `The path "${path}" resolves through a symlink to ${answer.real}, which is outside ` +
        "the workspace. File tools do not follow symlinks out of the workspace.";
    case "hardlink":
      return `${file.shown} ${answer.message}: the file tools refuse a file with more than one ` +
        "hard link, because another link may be outside the workspace. Copy it to a new file " +
        "with terminal (cp) if you need its content.";
    case "not_regular":
      return `${file.shown} is not a regular file (a FIFO, socket or device); the file tools ` +
        "only use regular files.";
    default:
      return `${file.shown}: ${answer.message}`;
  }
}
