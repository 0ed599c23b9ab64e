/**
 * `herald doctor`'s sandbox check: which sandbox the tools run in, and proof that it holds — a
 * sandboxed command tries to write into `$HERALD_HOME`, read its API key, and find the doctor's
 * own environment (a canary value) in /proc; each attempt must fail, checked from outside.
 * @module
 */
import { dirname, join } from "node:path";
import { runInSandbox, shellQuote } from "../agent/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { createSandbox } from "../gateway/mod.ts";

/** One doctor line (doctor.ts's CheckResult). */
export interface SandboxCheck {
  ok: boolean | null;
  line: string;
}

/** Reports the sandbox and proves it confines: a write and reads that must fail. */
export async function checkSandbox(resolved: ResolvedConfig): Promise<SandboxCheck> {
  const sandbox = await createSandbox(resolved);
  const status = sandbox.status();
  if (status.mode === "off") {
    return {
      ok: null,
      line: `Sandbox: ${status.summary}. Set tools.sandbox: workspace-write to confine them.`,
    };
  }
  if (!status.confined) {
    return {
      ok: false,
      line: `Sandbox: ${status.summary}. Fix: apt-get install bubblewrap (Debian/Ubuntu), or ` +
        "allow user namespaces (sysctl kernel.unprivileged_userns_clone=1).",
    };
  }
  // Into $HERALD_HOME; when the workspace is inside it, beside the workspace instead.
  const workspace = await Deno.realPath(resolved.workspace).catch(() => resolved.workspace);
  const home = await Deno.realPath(resolved.home).catch(() => resolved.home);
  const probeDir = workspace === home || workspace.startsWith(home + "/")
    ? dirname(workspace)
    : home;
  const probeFile = join(probeDir, `doctor-probe-${crypto.randomUUID()}`);
  const canary = `herald-canary-${crypto.randomUUID()}`;
  Deno.env.set("HERALD_DOCTOR_CANARY", canary);
  let output: string;
  try {
    await Deno.mkdir(resolved.workspace, { recursive: true });
    const result = await runInSandbox(sandbox, [
      "bash",
      "-c",
      `echo probe > ${shellQuote(probeFile)} 2>/dev/null && echo WROTE; ` +
      `cat ${shellQuote(join(resolved.home, "api_key"))} >/dev/null 2>&1 && echo READ_KEY; ` +
      `cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q ${canary} && echo ENV; ` +
      `env | grep -q ${canary} && echo ENV; echo done`,
    ], {
      layout: "terminal",
      workspace: resolved.workspace,
      timeoutMs: 15_000,
      signal: AbortSignal.timeout(20_000),
      maxStdout: 4096,
      maxStderr: 4096,
    });
    output = result.stdout.text();
    if (!output.includes("done")) {
      return {
        ok: false,
        line: `Sandbox: ${status.summary}, but the probe did not run (exit ${result.code}: ` +
          `${result.stderr.text().trim().slice(0, 200)}).`,
      };
    }
  } finally {
    Deno.env.delete("HERALD_DOCTOR_CANARY");
  }
  const wrote = await Deno.stat(probeFile).then(() => true, () => false);
  if (wrote) await Deno.remove(probeFile).catch(() => {});
  const leaks = [
    ...(wrote ? [`a write to ${probeDir} succeeded`] : []),
    ...(output.includes("READ_KEY") ? ["$HERALD_HOME/api_key was readable"] : []),
    ...(output.includes("ENV") ? ["the gateway's environment was readable"] : []),
  ];
  if (leaks.length > 0) {
    return { ok: false, line: `Sandbox: ${status.summary}, but it leaks: ${leaks.join("; ")}.` };
  }
  return {
    ok: true,
    line: `Sandbox: ${status.summary}; proven: a write outside the workspace failed, ` +
      "$HERALD_HOME and the gateway's environment are not visible.",
  };
}
