/**
 * Which OS sandbox this machine offers: bubblewrap on Linux (tried once, for real, since a
 * container may forbid user namespaces), `sandbox-exec` on macOS, or none — with the reason.
 * @module
 */

/** What the machine offers. */
export type SandboxSupport =
  | {
    kind: "bwrap";
    path: string;
    version: string;
    /** False for bubblewrap before 0.8, which lacks --disable-userns (Ubuntu 22.04 has 0.6). */
    disableUserns: boolean;
  }
  | { kind: "sandbox-exec"; path: string }
  | { kind: "none"; reason: string };

let detected: Promise<SandboxSupport> | undefined;

/** Detects the sandbox once per process; later calls share the answer. */
export function detectSandboxSupport(): Promise<SandboxSupport> {
  detected ??= detect();
  return detected;
}

async function detect(): Promise<SandboxSupport> {
  if (Deno.build.os === "darwin") {
    const path = await findExecutable("sandbox-exec");
    return path
      ? { kind: "sandbox-exec", path }
      : { kind: "none", reason: "sandbox-exec was not found" };
  }
  if (Deno.build.os !== "linux") {
    return { kind: "none", reason: `no sandbox is implemented for ${Deno.build.os}` };
  }
  const path = await findExecutable("bwrap");
  if (!path) {
    return {
      kind: "none",
      reason: "bubblewrap (bwrap) is not installed; install it with `apt-get install bubblewrap`",
    };
  }
  const probeWith = (extra: string[]) =>
    run(path, [
      "--unshare-all",
      "--unshare-user",
      ...extra,
      "--cap-drop",
      "ALL",
      "--die-with-parent",
      "--ro-bind",
      "/",
      "/",
      "--proc",
      "/proc",
      "--",
      "/bin/sh",
      "-c",
      "exit 0",
    ]);
  let disableUserns = true;
  let probe = await probeWith(["--disable-userns"]);
  if (!probe.ok && /unknown option|--disable-userns/i.test(probe.text)) {
    disableUserns = false;
    probe = await probeWith([]);
  }
  if (!probe.ok) {
    return {
      kind: "none",
      reason:
        `bwrap cannot create a sandbox here (${probe.text.trim() || "exit " + probe.code}); ` +
        "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone or " +
        "user.max_user_namespaces)",
    };
  }
  const version = await run(path, ["--version"]);
  return {
    kind: "bwrap",
    path,
    version: version.text.trim().replace(/^bubblewrap\s*/, ""),
    disableUserns,
  };
}

/** The absolute path of `name` on PATH, or null. */
export async function findExecutable(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    if (!dir) continue;
    const candidate = `${dir}/${name}`;
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

async function run(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; code: number; text: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(10_000),
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { ok: out.success, code: out.code, text: decode(out.stdout) + decode(out.stderr) };
  } catch (e) {
    return { ok: false, code: -1, text: (e as Error).message };
  }
}
