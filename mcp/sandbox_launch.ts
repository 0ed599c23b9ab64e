/**
 * Runs stdio MCP servers inside the tool sandbox (bubblewrap): the system read-only, the
 * workspace the only writable place, home folders, /tmp and Herald's files hidden, a fresh PID
 * namespace, and only the environment the server's config gives it. Unlike the terminal tool,
 * a server keeps the network (most servers exist to reach an API) and no per-call limits (it is
 * long-lived).
 * @module
 */
import { bwrapArgs, MASKED_DIRS, type Sandbox } from "../agent/mod.ts";
import type { SandboxLauncher } from "./server_connection.ts";

/**
 * A launcher for {@link McpServerConnection}, or undefined when the sandbox cannot confine
 * processes here (off, or no bubblewrap): servers then run unconfined, as the banner says.
 *
 * @example
 * ```ts
 * const launcher = mcpSandboxLauncher(runtime.sandbox, resolved.workspace);
 * ```
 */
export function mcpSandboxLauncher(
  sandbox: Sandbox,
  workspace: string,
): SandboxLauncher | undefined {
  const support = sandbox.support;
  if (!sandbox.confined || support.kind !== "bwrap") return undefined;
  return async (launch) => {
    const root = await Deno.realPath(workspace);
    const extraRoots = (await Promise.all(
      sandbox.settings.extraRoots.map((r) => Deno.realPath(r).catch(() => null)),
    )).filter((r): r is string => r !== null);
    const cwd = launch.cwd ? await Deno.realPath(launch.cwd).catch(() => root) : root;
    const args = bwrapArgs({ ...sandbox.settings, network: true }, {
      layout: "terminal",
      workspace: root,
      extraRoots,
      cwd,
      env: launch.ownEnv ?? {},
    });
    // A program kept in a hidden folder (a home, /tmp) is shown, read-only, at its own path.
    const program = launch.command.startsWith("/")
      ? await Deno.realPath(launch.command).catch(() => launch.command)
      : launch.command;
    const binds = MASKED_DIRS.some((dir) => program.startsWith(`${dir}/`))
      ? ["--ro-bind", program, program]
      : [];
    return {
      command: support.path,
      args: [...args.slice(0, -1), ...binds, "--", program, ...launch.args],
      env: {},
      cwd: "/",
    };
  };
}
