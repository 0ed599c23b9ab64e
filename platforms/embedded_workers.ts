/**
 * Worker sources built into a bundle. From source, workers start from their .ts files beside
 * the host; `dist/herald.js` has no such files, so `cli/bundle.ts` bundles each worker to one
 * JavaScript string and registers it here before the CLI runs, and the host starts the worker
 * from a blob: URL of that string.
 * @module
 */

const sources = new Map<string, string>();
const urls = new Map<string, URL>();

/**
 * Registers the bundled source of a worker; called by the module `cli/bundle.ts` generates.
 *
 * @example
 * ```ts
 * registerEmbeddedWorker("telegram", bundledWorkerJavaScript);
 * ```
 */
export function registerEmbeddedWorker(name: string, source: string): void {
  sources.set(name, source);
  urls.delete(name);
}

/**
 * The URL to start the named worker from when it is embedded (a bundle), else undefined.
 * The blob: URL is created once and kept for restarts; Deno allows module workers from blob:
 * URLs with narrowed `deno.permissions`, `import: false` included.
 */
export function embeddedWorkerUrl(name: string): URL | undefined {
  const cached = urls.get(name);
  if (cached) return cached;
  const source = sources.get(name);
  if (source === undefined) return undefined;
  const url = new URL(
    URL.createObjectURL(new Blob([source], { type: "application/javascript" })),
  );
  urls.set(name, url);
  return url;
}
