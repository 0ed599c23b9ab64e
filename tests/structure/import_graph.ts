/**
 * The import graph of the source tree and the rules it must keep: which folder may import which
 * (written down once, in {@link LAYERS}), folders entered only through their mod.ts, and no
 * loops. The graph comes from `deno info` (Deno's own parser), so type-only and dynamic imports
 * count like any other.
 * @module
 */
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The top-level folders, lowest layer first, each with the folders it may import from. A folder
 * missing here (tests/, bench/) may import anything: it is exempt as an importer.
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  // Small helpers, each implemented once; below everything.
  lib: [],
  // The web chat's browser code and its built files (string constants): the page imports
  // nothing of Herald's (its build script uses lib); the gateway hands the files to the server.
  web: ["lib"],
  config: ["lib"],
  store: ["lib", "config"],
  // The agent knows neither HTTP nor KV: no store/, and from config/ only what it is handed.
  agent: ["lib", "config"],
  server: ["lib", "config", "store", "agent"],
  platforms: ["lib", "config", "store", "agent"],
  // MCP servers' tools, offered to the agent; the gateway wires them in.
  mcp: ["lib", "config", "agent"],
  // The composition root: the one folder that knows every other.
  gateway: ["lib", "config", "store", "agent", "server", "platforms", "mcp", "web"],
  cli: ["lib", "config", "store", "agent", "server", "platforms", "mcp", "gateway", "web"],
  "main.ts": ["cli"],
  "mod.ts": ["lib", "config", "store", "agent", "server", "platforms", "mcp", "gateway"],
};

/** Folders whose files may import across the tree as they need (they still must not loop). */
export const EXEMPT_IMPORTERS: readonly string[] = ["tests", "bench"];

/** Repository-relative paths (`/`-separated) of .ts files, each with the .ts files it imports. */
export type ImportGraph = Map<string, string[]>;

/** One broken rule, with the import that breaks it. */
export interface Violation {
  kind: "layer" | "deep" | "cycle";
  /** `from -> to` (a cycle lists its files in order). */
  edge: string;
  message: string;
}

/** The layer a path belongs to: its top folder, or the file itself at the root. */
function layerOf(path: string): string {
  return path.split("/")[0];
}

/**
 * Checks a graph against the rules. Edges whose target is outside the graph (npm packages,
 * JSON files) are ignored.
 */
export function checkGraph(
  graph: ImportGraph,
  layers: Readonly<Record<string, readonly string[]>> = LAYERS,
  exempt: readonly string[] = EXEMPT_IMPORTERS,
): Violation[] {
  const violations: Violation[] = [];
  for (const [from, deps] of graph) {
    const fromLayer = layerOf(from);
    const rules = exempt.includes(fromLayer) ? null : layers[fromLayer];
    if (!rules && !exempt.includes(fromLayer)) {
      violations.push({
        kind: "layer",
        edge: from,
        message: `${fromLayer} is not in the layer table: say what it may import`,
      });
    }
    for (const to of deps) {
      if (!graph.has(to)) continue;
      const toLayer = layerOf(to);
      if (rules && toLayer !== fromLayer && !rules.includes(toLayer)) {
        violations.push({
          kind: "layer",
          edge: `${from} -> ${to}`,
          message: `${fromLayer}/ may import only from ${rules.join(", ") || "nothing"}; ` +
            `not from ${toLayer}`,
        });
      }
      const entry = folderEntry(from, to);
      if (entry && to !== entry && !exempt.includes(fromLayer)) {
        violations.push({
          kind: "deep",
          edge: `${from} -> ${to}`,
          message: `import ${dirname(entry)}/ through ${entry}, not a file inside it`,
        });
      }
    }
  }
  for (const cycle of findCycles(graph)) {
    violations.push({
      kind: "cycle",
      edge: [...cycle, cycle[0]].join(" -> "),
      message: `import loop through ${cycle.length} files`,
    });
  }
  return violations;
}

/**
 * The mod.ts `from` must go through to reach `to`: the one of the first folder on the way to
 * `to` that does not contain `from`. Null when `to` lies in a folder containing `from` (a file
 * may import its own folder's and its ancestors' files directly; those are its own layer).
 */
export function folderEntry(from: string, to: string): string | null {
  const fromDirs = from.split("/").slice(0, -1);
  const toParts = to.split("/");
  const toDirs = toParts.slice(0, -1);
  let common = 0;
  while (
    common < fromDirs.length && common < toDirs.length && fromDirs[common] === toDirs[common]
  ) {
    common++;
  }
  if (common === toDirs.length) return null;
  return [...toDirs.slice(0, common + 1), "mod.ts"].join("/");
}

/** Every import loop (strongly connected set of two or more files, or a file importing itself). */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  // Iterative Tarjan: deep chains must not overflow the call stack.
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; deps: string[]; at: number }[] = [];
    const visit = (node: string) => {
      index.set(node, next);
      low.set(node, next);
      next++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, deps: (graph.get(node) ?? []).filter((d) => graph.has(d)), at: 0 });
    };
    visit(start);
    while (work.length) {
      const frame = work[work.length - 1];
      if (frame.at < frame.deps.length) {
        const dep = frame.deps[frame.at++];
        if (!index.has(dep)) visit(dep);
        else if (onStack.has(dep)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(dep)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const members: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          members.push(member);
        } while (member !== frame.node);
        const selfLoop = (graph.get(frame.node) ?? []).includes(frame.node);
        if (members.length > 1 || selfLoop) cycles.push(members.reverse());
      }
    }
  }
  return cycles;
}

/** Every .ts file under `root`, repository-relative, skipping dot folders and build output. */
export async function listSourceFiles(
  root: string,
  skip: readonly string[] = ["dist", "node_modules"],
): Promise<string[]> {
  const files: string[] = [];
  async function walk(dir: string) {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".") || skip.includes(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".ts")) {
        files.push(relative(root, path).split(sep).join("/"));
      }
    }
  }
  await walk(root);
  return files.sort();
}

interface DenoInfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier?: string };
    type?: { specifier?: string };
  }[];
}

/**
 * Builds the import graph of the given files with `deno info --json`, in one run over a
 * temporary module that imports them all. Static, dynamic and type-only imports are edges.
 */
export async function importGraph(root: string, files: readonly string[]): Promise<ImportGraph> {
  const absRoot = resolve(root);
  const tmp = await Deno.makeTempDir({ prefix: "herald_structure_" });
  try {
    const entry = join(tmp, "all.ts");
    const lines = files.map((f) => `import "${pathToFileURL(join(absRoot, f)).href}";`);
    await Deno.writeTextFile(entry, lines.join("\n") + "\n");
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: absRoot,
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      modules: DenoInfoModule[];
    };
    const prefix = pathToFileURL(absRoot).href + "/";
    const local = (specifier: string | undefined) =>
      specifier?.startsWith(prefix) ? decodeURIComponent(specifier.slice(prefix.length)) : null;
    const graph: ImportGraph = new Map(files.map((f) => [f, []]));
    for (const module of info.modules) {
      const from = local(module.specifier);
      if (!from || !graph.has(from)) continue;
      const deps = new Set<string>();
      for (const dep of module.dependencies ?? []) {
        for (const target of [dep.code?.specifier, dep.type?.specifier]) {
          const to = local(target);
          if (to && to.endsWith(".ts")) deps.add(to);
        }
      }
      graph.set(from, [...deps].sort());
    }
    return graph;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
