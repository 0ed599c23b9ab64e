import assert from "node:assert/strict";
import { bwrapArgs, type BwrapCall, sandboxSettings } from "../../../agent/mod.ts";

/** A made-up host: merged /usr, homes, and a $HERALD_HOME holding its secrets. */
const HOST: Record<string, "dir" | "file" | "symlink"> = {
  "/home": "dir",
  "/root": "dir",
  "/tmp": "dir",
  "/run": "dir",
  "/bin": "symlink",
  "/lib": "symlink",
  "/lib64": "symlink",
  "/etc/ld.so.cache": "file",
  "/home/ada/.herald": "dir",
  "/home/ada/.herald/api_key": "file",
  "/home/ada/.herald/.env": "file",
  "/home/ada/.herald/herald.kv": "file",
  "/home/ada/.herald/projects": "dir",
  "/srv/herald": "dir",
};
const CHILDREN: Record<string, string[]> = {
  "/home/ada/.herald": ["api_key", ".env", "herald.kv", "projects"],
};

function call(overrides: Partial<BwrapCall> = {}): BwrapCall {
  return {
    layout: "terminal",
    workspace: "/home/ada/project",
    extraRoots: [],
    cwd: "/home/ada/project",
    uid: 1000,
    gid: 1000,
    inspect: (path) => HOST[path] ?? "missing",
    readLink: (path) => `usr${path}`,
    list: (dir) => CHILDREN[dir] ?? [],
    ...overrides,
  };
}

/** The index of the `flag path…` triple or pair in `args`, -1 when absent. */
function find(args: string[], ...words: string[]): number {
  return args.findIndex((_, i) => words.every((w, j) => args[i + j] === w));
}

Deno.test("the terminal layout drops every capability, user namespaces, and the network", () => {
  const args = bwrapArgs(sandboxSettings(), call());
  for (const flag of ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent"]) {
    assert.ok(args.includes(flag), flag);
  }
  assert.ok(find(args, "--cap-drop", "ALL") >= 0);
  assert.ok(!args.includes("--share-net"));
  assert.ok(find(args, "--uid", "1000") >= 0);
  assert.equal(args.at(-1), "--");
});

Deno.test("tools.sandbox_network: true shares the network, in the terminal layout only", () => {
  const settings = sandboxSettings({ network: true });
  assert.ok(bwrapArgs(settings, call()).includes("--share-net"));
  assert.ok(!bwrapArgs(settings, call({ layout: "files" })).includes("--share-net"));
});

Deno.test("homes, /tmp and /run are empty; the workspace is bound writable after them", () => {
  const args = bwrapArgs(sandboxSettings(), call());
  const root = find(args, "--ro-bind", "/", "/");
  const home = find(args, "--tmpfs", "/home");
  const workspace = find(args, "--bind", "/home/ada/project", "/home/ada/project");
  assert.ok(root >= 0 && home > root && workspace > home, args.join(" "));
  assert.ok(find(args, "--tmpfs", "/root") >= 0);
  assert.ok(find(args, "--tmpfs", "/run") >= 0);
  assert.ok(find(args, "--proc", "/proc") >= 0, "a fresh /proc for the new PID namespace");
});

Deno.test("read-only mode binds the workspace read-only", () => {
  const args = bwrapArgs(sandboxSettings({ mode: "read-only" }), call());
  assert.ok(find(args, "--ro-bind", "/home/ada/project", "/home/ada/project") >= 0);
  assert.equal(find(args, "--bind", "/home/ada/project", "/home/ada/project"), -1);
});

Deno.test("the environment is cleared and only the sandbox's own variables are set", () => {
  const args = bwrapArgs(sandboxSettings(), call({ env: { EXTRA: "1" } }));
  assert.ok(args.includes("--clearenv"));
  const names = args.flatMap((a, i) => a === "--setenv" ? [args[i + 1]] : []);
  assert.deepEqual(names.sort(), [
    "DENO_DIR",
    "DENO_NO_UPDATE_CHECK",
    "EXTRA",
    "HOME",
    "LANG",
    "NO_COLOR",
    "PATH",
    "TERM",
    "TMPDIR",
  ]);
});

Deno.test("a hidden path outside the masked folders is covered by an empty, unreadable folder", () => {
  const args = bwrapArgs(sandboxSettings({ hidden: ["/srv/herald"] }), call());
  const i = find(args, "--tmpfs", "/srv/herald");
  assert.ok(i >= 0);
  assert.deepEqual(args.slice(i - 4, i), ["--perms", "0000", "--size", "4096"]);
});

Deno.test("a hidden path under /home is already gone and needs no mount", () => {
  const args = bwrapArgs(sandboxSettings({ hidden: ["/home/ada/.herald"] }), call());
  assert.equal(args.filter((a) => a.startsWith("/home/ada/.herald")).length, 0);
});

Deno.test("a workspace inside $HERALD_HOME sees none of its secrets", () => {
  const args = bwrapArgs(
    sandboxSettings({ hidden: ["/home/ada/.herald"] }),
    call({ workspace: "/home/ada/.herald/projects", cwd: "/home/ada/.herald/projects" }),
  );
  for (const file of ["api_key", ".env", "herald.kv"]) {
    assert.ok(find(args, "--ro-bind", "/dev/null", `/home/ada/.herald/${file}`) >= 0, file);
  }
  assert.equal(find(args, "--tmpfs", "/home/ada/.herald/projects"), -1, "the workspace stays");
});

Deno.test("a workspace that is $HERALD_HOME itself still hides its key, .env and KV file", () => {
  const args = bwrapArgs(
    sandboxSettings({ hidden: ["/home/ada/.herald"] }),
    call({ workspace: "/home/ada/.herald", cwd: "/home/ada/.herald" }),
  );
  for (const file of ["api_key", ".env", "herald.kv"]) {
    assert.ok(find(args, "--ro-bind", "/dev/null", `/home/ada/.herald/${file}`) >= 0, file);
  }
});

Deno.test("the files layout shows only /usr, the libraries, /tmp and the roots", () => {
  const args = bwrapArgs(
    sandboxSettings({ extraRoots: [] }),
    call({ layout: "files", extraRoots: ["/data/shared"], executables: ["/opt/deno/deno"] }),
  );
  assert.equal(find(args, "--ro-bind", "/", "/"), -1, "no whole-system bind");
  assert.ok(find(args, "--ro-bind", "/usr", "/usr") >= 0);
  assert.ok(find(args, "--symlink", "usr/bin", "/bin") >= 0);
  assert.ok(find(args, "--ro-bind", "/opt/deno/deno", "/opt/deno/deno") >= 0);
  assert.ok(find(args, "--bind", "/data/shared", "/data/shared") >= 0);
  assert.equal(find(args, "--tmpfs", "/home"), -1, "nothing to mask: /home is not there at all");
});

Deno.test("bubblewrap before 0.8 runs without --disable-userns", () => {
  const args = bwrapArgs(sandboxSettings(), call({ disableUserns: false }));
  assert.ok(!args.includes("--disable-userns"));
  assert.ok(find(args, "--cap-drop", "ALL") >= 0);
});
