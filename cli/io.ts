/**
 * What a command talks to: output streams, input, environment and working directory. Commands take
 * it as a parameter so tests can run them in-process with captured output.
 * @module
 */

/** Somewhere text is written. */
export interface TextWriter {
  write(text: string): void;
}

/** The outside world of one CLI invocation. */
export interface CliIo {
  stdout: TextWriter;
  stderr: TextWriter;
  /** Where `herald chat` reads lines from. */
  stdin: ReadableStream<Uint8Array>;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether to use ANSI colours (a terminal, and NO_COLOR unset). */
  color: boolean;
  /** Whether stdin and stdout are a terminal (line editing, history, prompts). */
  interactive?: boolean;
  /** How the user runs herald: `herald`, or `deno task herald` from a checkout. Default `herald`. */
  command?: string;
}

/** The process's own streams, environment and directory. */
export function processIo(): CliIo {
  const env = Deno.env.toObject();
  return {
    stdout: fileWriter(Deno.stdout),
    stderr: fileWriter(Deno.stderr),
    stdin: Deno.stdin.readable,
    env,
    // `deno task` runs in the project folder but records where the user was in INIT_CWD:
    // relative paths and the default workspace follow the user.
    cwd: env.INIT_CWD || Deno.cwd(),
    color: Deno.stdout.isTerminal() && !env.NO_COLOR,
    interactive: Deno.stdin.isTerminal() && Deno.stdout.isTerminal(),
    command: detectCommand(env, Deno.execPath()),
  };
}

/**
 * How the user started herald, so hints name a command they can type: a compiled binary by its
 * own name, `deno task herald` under `deno task` (a checkout), otherwise `herald` (installed with
 * `deno task install`, or the bundle).
 *
 * @example
 * ```ts
 * detectCommand({ INIT_CWD: "/home/me" }, "/usr/bin/deno"); // "deno task herald"
 * ```
 */
export function detectCommand(env: Record<string, string | undefined>, execPath: string): string {
  const binary = execPath.split(/[\\/]/).pop()!.replace(/\.exe$/i, "");
  if (binary !== "deno") return binary;
  return env.INIT_CWD ? "deno task herald" : "herald";
}

/**
 * Rewrites the command names in a message (written as \`herald …\`) to the way the user runs
 * herald, e.g. \`deno task herald key\`.
 */
export function forUser(message: string, command: string | undefined): string {
  if (!command || command === "herald") return message;
  return message.replace(/`herald(?=[ `])/g, "`" + command);
}

/** Collects written text in memory, for tests. */
export class BufferWriter implements TextWriter {
  text = "";
  write(text: string): void {
    this.text += text;
  }
}

const encoder = new TextEncoder();

function fileWriter(file: { writeSync(data: Uint8Array): number }): TextWriter {
  return {
    write(text) {
      // writeSync may write less than asked; loop until everything is out.
      let bytes = encoder.encode(text);
      while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
    },
  };
}

/** ANSI styling that turns itself off when colour is off. */
export function styler(color: boolean): {
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  bold(text: string): string;
} {
  const wrap = (open: number, close: number) => (text: string) =>
    color ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return { dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), bold: wrap(1, 22) };
}
