/**
 * The program the file tools run inside the sandbox (`deno eval`): it reads JSON requests from
 * stdin, one per line, does the file work where only the roots exist, and writes one JSON answer
 * line per request, in order, until stdin ends. It is a single self-contained function — its
 * source text is what runs — so it imports nothing.
 * @module
 */

/** A request to the file helper. */
export type FileHelperRequest =
  | { op: "read"; path: string; roots: string[]; maxBytes: number }
  | { op: "write"; path: string; roots: string[]; content: string };

/** Why a request failed, for the tool's message. */
export type FileHelperErrorCode =
  | "not_found"
  | "is_dir"
  | "not_regular"
  | "outside"
  | "hardlink"
  | "too_large"
  | "binary"
  | "failed";

/** The helper's answer. */
export type FileHelperResponse =
  | { ok: true; real: string; text?: string; existed?: boolean; bytes?: number; size?: number }
  | { ok: false; code: FileHelperErrorCode; real?: string; size?: number; message: string };

/**
 * The helper's main function. Runs in its own process (never in the gateway) and serves one
 * request at a time: every path is resolved by hand, symlink by symlink, and must stay inside
 * the roots; a file with more than one hard link is refused; writes go to a new file renamed
 * into place, so they never write through a hard link or a swapped-in symlink. Nothing is kept
 * between requests but the code itself.
 */
export async function fileHelperMain(): Promise<void> {
  const MAX_LINKS = 40;
  const SNIFF_BYTES = 8192;
  const NEWLINE = 10;
  const fail = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
    ok: false,
    code,
    message,
    ...extra,
  });
  const inside = (path: string, root: string) =>
    path === root || path.startsWith(root.endsWith("/") ? root : root + "/");
  const parentOf = (path: string) => {
    const i = path.lastIndexOf("/");
    return i <= 0 ? "/" : path.slice(0, i);
  };
  const join = (dir: string, rest: string) => (dir === "/" ? "" : dir) + "/" + rest;
  const normalize = (path: string) => {
    const out: string[] = [];
    for (const part of path.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") out.pop();
      else out.push(part);
    }
    return "/" + out.join("/");
  };
  const isNotFound = (e: unknown) => e instanceof Deno.errors.NotFound;
  // Realpath that also works for paths that do not exist yet, and for dangling symlinks.
  const realPathOf = (path: string, links: number): string => {
    if (links > MAX_LINKS) throw new Error(`Too many symlinks while resolving ${path}.`);
    try {
      return Deno.realPathSync(path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.lstatSync(path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (info?.isSymlink) {
      const target = Deno.readLinkSync(path);
      return realPathOf(
        normalize(target.startsWith("/") ? target : join(parentOf(path), target)),
        links + 1,
      );
    }
    const parent = parentOf(path);
    if (parent === path) return path;
    return join(realPathOf(parent, links), path.slice(parent.length).replace(/^\/+/, ""));
  };

  // deno-lint-ignore no-explicit-any
  const handle = (request: any): Record<string, unknown> => {
    const roots: string[] = request.roots;
    let real: string;
    try {
      real = realPathOf(normalize(request.path), 0);
    } catch (e) {
      return fail("failed", (e as Error).message);
    }
    if (!roots.some((root) => inside(real, root))) {
      return fail("outside", `resolves to ${real}, which is outside the allowed roots`, { real });
    }

    if (request.op === "read") {
      let file: Deno.FsFile;
      try {
        const before = Deno.lstatSync(real);
        if (before.isDirectory) return fail("is_dir", "is a directory", { real });
        if (!before.isFile) return fail("not_regular", "is not a regular file", { real });
        file = Deno.openSync(real, { read: true });
      } catch (e) {
        if (isNotFound(e)) return fail("not_found", "does not exist", { real });
        return fail("failed", (e as Error).message, { real });
      }
      try {
        const info = file.statSync();
        if (!info.isFile) return fail("not_regular", "is not a regular file", { real });
        if ((info.nlink ?? 1) > 1) {
          return fail("hardlink", `has ${info.nlink} hard links`, { real });
        }
        if (info.size > request.maxBytes) {
          return fail("too_large", "too large", { real, size: info.size });
        }
        const buffer = new Uint8Array(Math.min(info.size, request.maxBytes) + 1);
        let length = 0;
        while (length < buffer.length) {
          const n = file.readSync(buffer.subarray(length));
          if (n === null) break;
          length += n;
        }
        if (length > request.maxBytes) {
          return fail("too_large", "too large", { real, size: length });
        }
        const bytes = buffer.subarray(0, length);
        if (bytes.subarray(0, SNIFF_BYTES).includes(0)) {
          return fail("binary", "is binary", { real, size: length });
        }
        return { ok: true, real, text: new TextDecoder().decode(bytes), size: length };
      } finally {
        file.close();
      }
    }

    if (request.op === "write") {
      let existed = false;
      let mode = 0o644;
      try {
        const info = Deno.lstatSync(real);
        if (info.isDirectory) return fail("is_dir", "is a directory", { real });
        if (!info.isFile) return fail("not_regular", "is not a regular file", { real });
        existed = true;
        mode = (info.mode ?? 0o644) & 0o7777;
      } catch (e) {
        if (!isNotFound(e)) return fail("failed", (e as Error).message, { real });
      }
      const dir = parentOf(real);
      try {
        Deno.mkdirSync(dir, { recursive: true });
        const realDir = Deno.realPathSync(dir);
        if (!roots.some((root) => inside(realDir, root))) {
          return fail("outside", `resolves to ${realDir}, which is outside the allowed roots`, {
            real,
          });
        }
        const bytes = new TextEncoder().encode(request.content);
        const temp = join(realDir, `.herald-write-${crypto.randomUUID()}`);
        Deno.writeFileSync(temp, bytes, { createNew: true, mode });
        try {
          Deno.chmodSync(temp, mode);
          Deno.renameSync(temp, join(realDir, real.slice(dir.length + 1)));
        } catch (e) {
          try {
            Deno.removeSync(temp);
          } catch {
            // Nothing to clean.
          }
          throw e;
        }
        return { ok: true, real, existed, bytes: bytes.length };
      } catch (e) {
        return fail("failed", `cannot write: ${(e as Error).message}`, { real });
      }
    }
    return fail("failed", `unknown op ${request?.op}`);
  };

  const encoder = new TextEncoder();
  const answer = (line: Uint8Array) => {
    let value: Record<string, unknown>;
    try {
      value = handle(JSON.parse(new TextDecoder().decode(line)));
    } catch (e) {
      value = fail("failed", String((e as Error)?.message ?? e));
    }
    const bytes = encoder.encode(JSON.stringify(value) + "\n");
    // A pipe may take a large answer in several writes.
    for (let written = 0; written < bytes.length;) {
      written += Deno.stdout.writeSync(bytes.subarray(written));
    }
  };
  const concat = (parts: Uint8Array[]) => {
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  };
  // Newline-delimited JSON: JSON text never holds a raw newline, and UTF-8 never a 0x0A byte
  // inside a character.
  const reader = Deno.stdin.readable.getReader();
  let parts: Uint8Array[] = [];
  while (true) {
    const { done, value } = await reader.read();
    if (done) {
      // A last request without its newline is still answered.
      if (parts.length > 0) answer(concat(parts));
      return;
    }
    let chunk = value;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE)) {
      const line = concat([...parts, chunk.subarray(0, end)]);
      parts = [];
      if (line.length > 0) answer(line);
      chunk = chunk.subarray(end + 1);
    }
    if (chunk.length > 0) parts.push(chunk.slice());
  }
}
