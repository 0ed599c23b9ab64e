/**
 * Runs a command under a real pseudo-terminal with util-linux `script` (in Debian's essential
 * bsdutils package, so on every machine CI uses): what the test writes arrives as keystrokes,
 * `\x03` is a real Ctrl-C the terminal turns into SIGINT for the whole foreground process group,
 * exactly as when a person presses it.
 * @module
 */

/** A command running under a pseudo-terminal. */
export class PtyProcess {
  /** Everything the terminal showed so far (escape codes included). */
  output = "";
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pump: Promise<void>;
  #waiters: Array<() => void> = [];

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#pump = (async () => {
      for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
        this.output += text;
        for (const check of this.#waiters.splice(0)) check();
      }
    })();
  }

  /** Starts `argv` in `cwd` with exactly `env`, under a terminal of 120 columns. */
  static start(argv: string[], options: { cwd: string; env: Record<string, string> }): PtyProcess {
    const command = ["stty cols 120 rows 40 2>/dev/null;", "exec", ...argv.map(quote)].join(" ");
    const child = new Deno.Command("script", {
      args: ["-qefc", command, "/dev/null"],
      cwd: options.cwd,
      env: { SHELL: "/bin/sh", TERM: "xterm-256color", ...options.env },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    return new PtyProcess(child);
  }

  /** Types text (use `\r` for Enter, `\x03` for Ctrl-C, `\x04` for Ctrl-D, `\x1b[A` for ↑). */
  async type(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /** The output with escape codes removed, for matching. */
  get text(): string {
    // deno-lint-ignore no-control-regex
    return this.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
  }

  /**
   * Resolves once `pattern` matches the plain text after position `from` (default 0); rejects
   * when the process ends first or after `boundMs`, a bound against hanging, not a timing check.
   */
  waitFor(pattern: RegExp, from = 0, boundMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Timed out waiting for ${pattern}. Terminal:\n${this.text}`));
      }, boundMs);
      const check = () => {
        if (pattern.test(this.text.slice(from))) {
          clearTimeout(timer);
          resolve();
        } else this.#waiters.push(check);
      };
      this.#pump.then(() => {
        if (!pattern.test(this.text.slice(from))) {
          clearTimeout(timer);
          reject(new Error(`The process ended before ${pattern}. Terminal:\n${this.text}`));
        }
      });
      check();
    });
  }

  /** Resolves with the exit status once the process ended and its output is read. */
  async status(): Promise<Deno.CommandStatus> {
    await this.#writer.close().catch(() => {});
    const status = await this.#child.status;
    await this.#pump;
    return status;
  }

  /** Kills the process tree's leader if it still runs and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already ended */ }
    await this.status().catch(() => {});
  }
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
