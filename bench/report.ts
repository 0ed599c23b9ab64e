/**
 * The benchmark report: the machine it ran on, the targets checked against the figures, and
 * the printed table.
 * @module
 */

/** The machine a run happened on. */
export interface MachineInfo {
  nproc: number;
  cpu: string;
  memory_gb: number;
  deno: string;
  v8: string;
  os: string;
}

/** One target: a figure, its limit and whether it was met (null in quick mode). */
export interface TargetCheck {
  name: string;
  value: number | string;
  target: string;
  met: boolean | null;
}

/** Reads CPU and memory from /proc where there is one. */
export function machineInfo(): MachineInfo {
  let cpu = "unknown";
  let memoryGb = NaN;
  try {
    cpu = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? cpu;
    const kb = /MemTotal:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1];
    if (kb) memoryGb = Math.round(Number(kb) / 1024 / 102.4) / 10;
  } catch { /* not Linux */ }
  return {
    nproc: navigator.hardwareConcurrency,
    cpu: cpu.trim(),
    memory_gb: memoryGb,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.build.arch}`,
  };
}

/** A row of the printed table. */
export interface Row {
  measure: string;
  value: string;
  target?: string;
  met?: boolean | null;
}

/** Formats rows as an aligned text table. */
export function formatTable(rows: Row[]): string {
  const cells = rows.map((r) => [
    r.measure,
    r.value,
    r.target ?? "",
    r.met === undefined || r.met === null ? "" : r.met ? "met" : "NOT MET",
  ]);
  const header = ["measure", "value", "target", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
