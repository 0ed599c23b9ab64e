/**
 * Resource limits that count one sandboxed call's own processes only. RLIMIT_NPROC counts every
 * process of a uid machine-wide, and the kernel does not apply it to root at all, so the process
 * limit is a cgroup (`pids.max`, with `memory` beside it) when the gateway may create one — as
 * root, or under a delegated cgroup v2 tree. Otherwise the limits are rlimits set inside the
 * sandbox's own user namespace, where RLIMIT_NPROC counts only the sandbox's processes (for a
 * non-root gateway; for root without cgroups there is no process limit, and doctor says so).
 * @module
 */
import type { SandboxLimits } from "./settings.ts";

/** Where new cgroups for sandboxed calls can be made, found once per process. */
export interface CgroupSupport {
  /** Parent folders to create one child in per call, with the files to write. */
  parents: { dir: string; version: 1 | 2; controller: "pids" | "memory" | "both" }[];
}

/** One call's cgroups; {@link CallCgroup.remove} kills what is left and removes them. */
export interface CallCgroup {
  /** The `cgroup.procs` files the launcher writes its pid into before it execs bwrap. */
  procsFiles: string[];
  remove(): Promise<void>;
}

let support: Promise<CgroupSupport> | undefined;
let counter = 0;

/** Finds the cgroup folders this process may create children in (cached). */
export function cgroupSupport(): Promise<CgroupSupport> {
  support ??= findCgroups();
  return support;
}

async function findCgroups(): Promise<CgroupSupport> {
  if (Deno.build.os !== "linux") return { parents: [] };
  let own: string;
  try {
    own = await Deno.readTextFile("/proc/self/cgroup");
  } catch {
    return { parents: [] };
  }
  const parents: CgroupSupport["parents"] = [];
  for (const line of own.trim().split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers === "") {
      // cgroup v2: one tree, usable when the pids controller is enabled for our children.
      const dir = `/sys/fs/cgroup${path === "/" ? "" : path}`;
      if (await probe(dir, "pids.max")) parents.push({ dir, version: 2, controller: "both" });
      continue;
    }
    for (const controller of ["pids", "memory"] as const) {
      if (!controllers.split(",").includes(controller)) continue;
      const dir = `/sys/fs/cgroup/${controller}${path === "/" ? "" : path}`;
      const limitFile = controller === "pids" ? "pids.max" : "memory.limit_in_bytes";
      if (await probe(dir, limitFile)) parents.push({ dir, version: 1, controller });
    }
  }
  // v1 and v2 do not mix for one controller: prefer v1 when it has pids (hybrid hosts).
  const v1 = parents.filter((p) => p.version === 1);
  const chosen = v1.some((p) => p.controller === "pids")
    ? v1
    : parents.filter((p) => p.version === 2);
  for (const parent of chosen) await removeStale(parent.dir);
  return { parents: chosen };
}

/** Removes the empty cgroups a Herald process that is gone left behind (it crashed mid-call). */
async function removeStale(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const pid = /^herald-sandbox-(\d+)-\d+$/.exec(entry.name)?.[1];
    if (!pid || Number(pid) === Deno.pid) continue;
    const alive = await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
    if (!alive) await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
  }
}

/** True when a child folder can be made in `dir` and has `file` (the controller is active). */
async function probe(dir: string, file: string): Promise<boolean> {
  const child = `${dir}/herald-probe-${Deno.pid}`;
  try {
    await Deno.mkdir(child);
  } catch {
    return false;
  }
  try {
    await Deno.stat(`${child}/${file}`);
    await Deno.stat(`${child}/cgroup.procs`);
    return true;
  } catch {
    return false;
  } finally {
    await Deno.remove(child).catch(() => {});
  }
}

/** True when the process limit holds for this gateway: a pids cgroup, or a non-root uid. */
export async function processLimitHolds(): Promise<boolean> {
  const cg = await cgroupSupport();
  return cg.parents.some((p) => p.controller !== "memory") || Deno.uid() !== 0;
}

/** Makes the cgroups of one call, with its limits written; null when none can be made. */
export async function createCallCgroup(limits: SandboxLimits): Promise<CallCgroup | null> {
  const { parents } = await cgroupSupport();
  if (parents.length === 0) return null;
  const name = `herald-sandbox-${Deno.pid}-${++counter}`;
  const dirs: string[] = [];
  try {
    for (const parent of parents) {
      const dir = `${parent.dir}/${name}`;
      await Deno.mkdir(dir);
      dirs.push(dir);
      if (parent.controller !== "memory") {
        await Deno.writeTextFile(`${dir}/pids.max`, String(limits.processes));
      }
      if (parent.controller !== "pids") {
        const file = parent.version === 1 ? "memory.limit_in_bytes" : "memory.max";
        await Deno.writeTextFile(`${dir}/${file}`, String(limits.memoryBytes)).catch(() => {});
      }
    }
  } catch {
    await Promise.all(dirs.map((d) => removeCgroup(d)));
    return null;
  }
  return {
    procsFiles: dirs.map((d) => `${d}/cgroup.procs`),
    remove: async () => {
      await Promise.all(dirs.map((d) => removeCgroup(d)));
    },
  };
}

/** Kills whatever is left in a cgroup and removes it, retrying while the kernel lets go. */
async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await Deno.remove(dir);
      return;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
    }
    try {
      await Deno.writeTextFile(`${dir}/cgroup.kill`, "1");
    } catch {
      const procs = await Deno.readTextFile(`${dir}/cgroup.procs`).catch(() => "");
      for (const pid of procs.split("\n").filter(Boolean)) {
        try {
          Deno.kill(Number(pid), "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(10 * (attempt + 1), 200)));
  }
}

/**
 * The shell lines that set the rlimits inside the sandbox, before the command is exec'd. Each
 * is set on its own so one the kernel refuses does not skip the others. RLIMIT_DATA stands in
 * for memory only when no memory cgroup holds it.
 */
export function rlimitPreamble(limits: SandboxLimits, memoryByCgroup: boolean): string {
  const kib = (bytes: number) => String(Math.max(1, Math.floor(bytes / 1024)));
  const lines = [
    `ulimit -u ${limits.processes}`,
    `ulimit -t ${limits.cpuSeconds}`,
    `ulimit -f ${kib(limits.fileBytes)}`,
    ...(memoryByCgroup ? [] : [`ulimit -d ${kib(limits.memoryBytes)}`]),
  ];
  return lines.map((l) => `${l} 2>/dev/null`).join("; ") + "; ";
}
