import assert from "node:assert/strict";
import { join } from "node:path";
import { PathRefusedError, resolveWorkspacePath } from "../../../agent/mod.ts";
import { tempDir } from "./helpers.ts";

Deno.test("a relative path resolves inside the workspace, even when it does not exist yet", async () => {
  await using ws = await tempDir();
  assert.equal(
    await resolveWorkspacePath("a/b/c.txt", { workspace: ws.path }),
    join(ws.path, "a/b/c.txt"),
  );
  assert.equal(
    await resolveWorkspacePath("./x/../y.txt", { workspace: ws.path }),
    join(ws.path, "y.txt"),
  );
});

Deno.test("an absolute path inside the workspace is accepted", async () => {
  await using ws = await tempDir();
  const inside = join(ws.path, "file.txt");
  assert.equal(await resolveWorkspacePath(inside, { workspace: ws.path }), inside);
});

Deno.test("an absolute path outside the workspace is refused", async () => {
  await using ws = await tempDir();
  await assert.rejects(
    resolveWorkspacePath("/etc/passwd", { workspace: ws.path }),
    (e) => e instanceof PathRefusedError && /outside the workspace/.test(e.message),
  );
});

Deno.test("a .. escape is refused", async () => {
  await using ws = await tempDir();
  await assert.rejects(
    resolveWorkspacePath("../../etc/passwd", { workspace: ws.path }),
    PathRefusedError,
  );
  await assert.rejects(
    resolveWorkspacePath("sub/../../x", { workspace: ws.path }),
    PathRefusedError,
  );
});

Deno.test("a symlink pointing out of the workspace is refused", async () => {
  await using ws = await tempDir();
  await using outside = await tempDir();
  await Deno.writeTextFile(join(outside.path, "secret.txt"), "s");
  await Deno.symlink(outside.path, join(ws.path, "link"));
  await assert.rejects(
    resolveWorkspacePath("link/secret.txt", { workspace: ws.path }),
    (e) => e instanceof PathRefusedError && /symlink/.test(e.message),
  );
  // A file that does not exist yet behind the link is refused too (write_file would create it).
  await assert.rejects(
    resolveWorkspacePath("link/new.txt", { workspace: ws.path }),
    PathRefusedError,
  );
});

Deno.test("a dangling symlink whose target is outside is refused", async () => {
  await using ws = await tempDir();
  await using outside = await tempDir();
  await Deno.symlink(join(outside.path, "not-yet.txt"), join(ws.path, "dangling"));
  await assert.rejects(resolveWorkspacePath("dangling", { workspace: ws.path }), PathRefusedError);
});

Deno.test("a symlink that stays inside the workspace is followed", async () => {
  await using ws = await tempDir();
  await Deno.mkdir(join(ws.path, "real"));
  await Deno.symlink(join(ws.path, "real"), join(ws.path, "alias"));
  assert.equal(
    await resolveWorkspacePath("alias/f.txt", { workspace: ws.path }),
    join(ws.path, "real/f.txt"),
  );
});

Deno.test("a configured extra root is allowed", async () => {
  await using ws = await tempDir();
  await using extra = await tempDir();
  const file = join(extra.path, "notes.md");
  assert.equal(
    await resolveWorkspacePath(file, { workspace: ws.path, extraRoots: [extra.path] }),
    file,
  );
});

Deno.test("home and variable spellings cannot leave the workspace", async () => {
  await using ws = await tempDir();
  for (const path of ["~", "~/.ssh/id_rsa", "~/../../etc/passwd", "//etc/passwd", "/./etc/x"]) {
    await assert.rejects(
      resolveWorkspacePath(path, { workspace: ws.path }),
      PathRefusedError,
      path,
    );
  }
  // Shell variables are not expanded: they name a folder inside the workspace.
  for (const path of ["${HOME}/.ssh", "$HOME/.ssh"]) {
    assert.equal(await resolveWorkspacePath(path, { workspace: ws.path }), join(ws.path, path));
  }
});

Deno.test("a symlinked folder inside the workspace cannot be climbed out of with ..", async () => {
  await using ws = await tempDir();
  await using outside = await tempDir();
  await Deno.mkdir(join(outside.path, "deep"));
  await Deno.symlink(join(outside.path, "deep"), join(ws.path, "link"));
  // Lexically link/../x is the workspace's own x, and that is where the tools go.
  assert.equal(
    await resolveWorkspacePath("link/../x.txt", { workspace: ws.path }),
    join(ws.path, "x.txt"),
  );
  await assert.rejects(
    resolveWorkspacePath("link/secret.txt", { workspace: ws.path }),
    PathRefusedError,
  );
});
