/**
 * Runs `deno bundle` (offline; it needs no download) with the repository's deno.json, for the
 * build scripts: the CLI bundle and the web chat's browser script.
 * @module
 */

/** Options for {@link denoBundle}. */
export interface DenoBundleOptions {
  /** The module to bundle: absolute, or relative to `root`. */
  entry: string;
  /** The file to write. */
  output: string;
  /** The repository: its deno.json is the config and it is the working folder. */
  root: string;
  platform: "deno" | "browser";
  minify?: boolean;
}

/**
 * Bundles `entry` into `output`; throws with deno's own message when bundling fails.
 *
 * @example
 * ```ts
 * await denoBundle({ entry: "web/app/mod.ts", output: "/tmp/app.js", root: ".", platform: "browser" });
 * ```
 */
export async function denoBundle(options: DenoBundleOptions): Promise<void> {
  const { entry, output, root, platform } = options;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--config",
      `${root.replace(/\/+$/, "")}/deno.json`,
      "--platform",
      platform,
      ...(options.minify ? ["--minify"] : []),
      "--output",
      output,
      entry,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).trim();
    throw new Error(`Cannot bundle ${entry}: deno bundle exited with ${result.code}.\n${stderr}`);
  }
}
