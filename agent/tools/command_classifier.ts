/**
 * Classifies terminal commands: marks the plainly destructive ones (wiping / or home, formatting
 * disks, fork bombs, shutting the machine down, piping downloads into a shell) as dangerous, so
 * the approval policy can ask first. It is not the wall — the OS sandbox is; a determined
 * command can always get around a list. Every check is linear in the command's length (rules
 * look at bounded windows around trigger words), and commands over 64 KB are refused unread.
 * @module
 */
import { posix } from "node:path";

/** Commands longer than this many bytes (UTF-8) are refused without being scanned. */
export const MAX_COMMAND_BYTES = 64 * 1024;

/** Adjustments from `tools.terminal`. */
export interface CommandClassifierOptions {
  /** Extra regular expressions of commands to refuse. */
  deny?: readonly string[];
  /** Regular expressions of commands allowed even when the built-in list matches. */
  allow?: readonly string[];
  /** The home folder `rm -rf` must not wipe. Default: `$HOME`. */
  home?: string;
}

interface Rule {
  /** Why the command is refused, in words the model can act on. */
  reason: string;
  test(command: string, segments: string[][], home: string | undefined): boolean;
}

/** Words that run the command after them, so the real command word comes later. */
const PREFIX_WORDS = new Set([
  "sudo",
  "doas",
  "env",
  "nohup",
  "exec",
  "command",
  "builtin",
  "time",
  "nice",
  "ionice",
  "stdbuf",
  "xargs",
  "busybox",
  "timeout",
  "eval",
]);

/** Shells: `sh -c '…'` runs its argument, so the command inside is what counts. */
const SHELL_NAME = /^(?:ba|z|k|da|fi|tc|c)?sh$/;

/** Top-level folders whose recursive removal breaks the machine. */
const SYSTEM_DIRS = new Set(
  [
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib64",
    "/opt",
    "/proc",
    "/root",
    "/sbin",
    "/sys",
    "/usr",
    "/var",
  ],
);

const RAW_DISK = String
  .raw`/dev/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|md\d|dm-\d|mapper/|loop\d)`;
const SHELL = String.raw`(?:sudo\s+)?(?:/\S*/)?(?:ba|z|k|da|fi|tc|c)?sh\b`;

// The windowed rules' patterns, compiled once. Each runs on a window of at most 512 characters.
const REDIRECT_TO_DISK = new RegExp(String.raw`^>\s*${RAW_DISK}`);
const TEE_TO_DISK = new RegExp(String.raw`^tee\s+(?:-a\s+)?${RAW_DISK}`);
const FORK_BODY = /^\{\s*([\w:.-]+)\s*\|\s*([\w:.-]+)\s*&/;
const DOWNLOADER = /\b(?:curl|wget)\b/;
const SHELL_FIRST = new RegExp(String.raw`^\s*${SHELL}`);
const SHELL_BEFORE_PROCESS_SUBSTITUTION = new RegExp(String.raw`${SHELL}\s+(?:-\w+\s+)*$`);
const PROCESS_SUBSTITUTED_DOWNLOAD = /^<\(\s*(?:curl|wget)\b/;
const SHELL_DASH_C_BEFORE = new RegExp(String.raw`${SHELL}\s+-c\s+["']?$`);
const SUBSTITUTED_DOWNLOAD = /^\$\(\s*(?:curl|wget)\b/;
const DD_TO_DISK = new RegExp(`^of=${RAW_DISK}`);
const DISK = new RegExp(`^${RAW_DISK}`);

const BUILTIN_RULES: Rule[] = [
  {
    reason: "it would recursively delete the root, a system folder or the home folder",
    test: (_c, segments, home) =>
      withWorkingDir(segments, home).some(({ words, cwdProtected }) => {
        const [cmd, ...args] = words;
        if (cmd !== "rm") return false;
        const recursive = args.some((a) =>
          a === "--recursive" || (/^-[a-zA-Z]+$/.test(a) && /[rR]/.test(a))
        );
        return recursive && args.some((a) => isProtectedTarget(a, home, cwdProtected));
      }),
  },
  {
    reason: "find would delete files across the root, a system folder or the home folder",
    test: (_c, segments, home) =>
      withWorkingDir(segments, home).some(({ words, cwdProtected }) => {
        const [cmd, ...args] = words;
        if (cmd !== "find") return false;
        const firstExpression = args.findIndex((a) => /^[-(!]/.test(a));
        const starts = firstExpression === -1 ? args : args.slice(0, firstExpression);
        const deletes = args.some((a, i) =>
          a === "-delete" ||
          (/^-(exec|execdir|ok|okdir)$/.test(a) && /^(rm|shred|unlink)$/.test(args[i + 1] ?? ""))
        );
        // No start path means the working folder.
        const targets = starts.length > 0 ? starts : ["."];
        return deletes && targets.some((a) => isProtectedTarget(a, home, cwdProtected));
      }),
  },
  {
    reason: "it would format a filesystem (mkfs)",
    test: (_c, segments) => segments.some(([cmd]) => /^mkfs(\.\w+)?$|^mke2fs$|^mkswap$/.test(cmd)),
  },
  {
    reason: "dd would write onto a block device",
    test: (_c, segments) =>
      segments.some(([cmd, ...args]) => cmd === "dd" && args.some((a) => DD_TO_DISK.test(a))),
  },
  {
    reason: "it would wipe a disk device",
    test: (_c, segments) =>
      segments.some(([cmd, ...args]) =>
        /^(shred|wipefs|blkdiscard)$/.test(cmd) &&
        args.some((a) => DISK.test(a))
      ),
  },
  {
    reason: "it writes straight onto a raw disk device",
    test: (c) =>
      windows(c, ">", 0, 64, (_b, after) => REDIRECT_TO_DISK.test(after)) ||
      windows(c, "tee", 0, 96, (_b, after) => TEE_TO_DISK.test(after)),
  },
  {
    reason: "it is a fork bomb",
    test: (c) =>
      windows(c, "{", 48, 96, (before, after) => {
        const name = functionNameBefore(before);
        const body = FORK_BODY.exec(after);
        return name !== undefined && body !== null && body[1] === name && body[2] === name;
      }),
  },
  {
    reason: "it would shut down or restart the machine",
    test: (_c, segments) =>
      segments.some(([cmd, sub]) =>
        /^(shutdown|reboot|halt|poweroff)$/.test(cmd) ||
        (cmd === "systemctl" && /^(poweroff|reboot|halt|kexec)$/.test(sub ?? "")) ||
        ((cmd === "init" || cmd === "telinit") && /^[06]$/.test(sub ?? ""))
      ),
  },
  {
    reason: "it would recursively change the owner or permissions of / or a system folder",
    test: (_c, segments) =>
      segments.some(([cmd, ...args]) =>
        /^(chmod|chown|chgrp)$/.test(cmd) &&
        args.some((a) => a === "--recursive" || /^-[a-zA-Z]*R/.test(a)) &&
        args.some((a) => SYSTEM_DIRS.has(trimSlashes(a)) || a === "/*")
      ),
  },
  {
    reason: "it pipes a download straight into a shell; download the script, read it, then run it",
    test: (c) =>
      downloadPipedToShell(c) ||
      windows(
        c,
        "<(",
        64,
        32,
        (before, after) =>
          SHELL_BEFORE_PROCESS_SUBSTITUTION.test(before) &&
          PROCESS_SUBSTITUTED_DOWNLOAD.test(after),
      ) ||
      windows(
        c,
        "$(",
        64,
        32,
        (before, after) => SHELL_DASH_C_BEFORE.test(before) && SUBSTITUTED_DOWNLOAD.test(after),
      ),
  },
];

/** What the classifier says of one command. */
export interface CommandClass {
  /** True when the command needs the approval policy's attention (or, unsandboxed, is refused). */
  dangerous: boolean;
  /** Why, in words the model can act on; set when dangerous or refused. */
  reason?: string;
  /** True when the command must not run at all: too long, or a configured deny pattern. */
  refused?: boolean;
}

/**
 * Classifies terminal commands.
 *
 * @example
 * ```ts
 * const classifier = new CommandClassifier({ deny: ["\\bgit\\s+push\\b"] });
 * classifier.classify("rm -rf /"); // { dangerous: true, reason: "it would recursively delete …" }
 * classifier.classify("ls -la"); // { dangerous: false }
 * ```
 */
export class CommandClassifier {
  #deny: RegExp[];
  #allow: RegExp[];
  #home: string | undefined;

  /** @throws Error when a configured pattern is not a valid regular expression. */
  constructor(options: CommandClassifierOptions = {}) {
    this.#deny = compileAll(options.deny ?? [], "tools.terminal.deny");
    this.#allow = compileAll(options.allow ?? [], "tools.terminal.allow");
    this.#home = options.home ?? Deno.env.get("HOME");
  }

  /**
   * Classifies `command`. A command over {@link MAX_COMMAND_BYTES} and one matching a configured
   * deny pattern are `refused`; an allow pattern clears only the built-in rules.
   */
  classify(command: string): CommandClass {
    const bytes = utf8Length(command);
    if (bytes > MAX_COMMAND_BYTES) {
      return {
        dangerous: true,
        refused: true,
        reason: `the command is ${bytes} bytes; commands over ${MAX_COMMAND_BYTES} bytes (64 KB) ` +
          "are refused unread. Write the script to a file with write_file and run the file",
      };
    }
    for (const pattern of this.#deny) {
      if (pattern.test(command)) {
        return {
          dangerous: true,
          refused: true,
          reason: `the command matches the configured deny pattern /${pattern.source}/ ` +
            "(tools.terminal.deny). Do not retry it; ask the user to run it themselves if needed",
        };
      }
    }
    if (this.#allow.some((p) => p.test(command))) return { dangerous: false };
    const segments = splitCommand(command, this.#home);
    for (const rule of BUILTIN_RULES) {
      if (rule.test(command, segments, this.#home)) return { dangerous: true, reason: rule.reason };
    }
    return { dangerous: false };
  }
}

/** UTF-8 length; a string longer than the limit in UTF-16 units is over it in bytes too. */
function utf8Length(text: string): number {
  return text.length > MAX_COMMAND_BYTES ? text.length : new TextEncoder().encode(text).length;
}

/**
 * True when `test` holds at some occurrence of `trigger`: it gets up to `before` characters
 * before the occurrence and `after` characters from it. Linear in the command's length.
 */
function windows(
  command: string,
  trigger: string,
  before: number,
  after: number,
  test: (before: string, after: string) => boolean,
): boolean {
  for (let i = command.indexOf(trigger); i !== -1; i = command.indexOf(trigger, i + 1)) {
    if (test(command.slice(Math.max(0, i - before), i), command.slice(i, i + after))) return true;
  }
  return false;
}

function compileAll(patterns: readonly string[], key: string): RegExp[] {
  return patterns.map((source, i) => {
    try {
      return new RegExp(source);
    } catch (e) {
      throw new Error(
        `${key}[${i}] is not a valid regular expression: ${(e as Error).message}`,
      );
    }
  });
}

/**
 * Splits a shell command into simple commands (at ; & | && || newlines, subshells and command
 * substitutions), each as words with quotes removed and prefix words (sudo, env, VAR=…) dropped.
 * The home folder is written as `~` so every spelling of it compares equal.
 */
function splitCommand(command: string, home: string | undefined): string[][] {
  const segments: string[][] = [];
  for (const part of command.split(/;|&&?|\|\|?|\n|\$\(|`|\(|\)|\{\s|\s\}/)) {
    const words = part.trim().split(/\s+/).filter(Boolean).map((w) => {
      // `\rm` skips aliases but is still rm.
      let word = trimQuotes(w).replace(/^\\/, "")
        .replace(/\$\{HOME\}|\$HOME/g, "~");
      if (home && home !== "/" && (word === home || word.startsWith(home + "/"))) {
        word = "~" + word.slice(home.length);
      }
      return word;
    });
    while (words.length > 0) {
      const first = baseName(words[0]);
      if (PREFIX_WORDS.has(first) || /^\w+=/.test(first)) {
        words.shift();
        // sudo -u user / env -i / timeout -s KILL: skip the options of the prefix word too.
        while (words.length > 0 && words[0].startsWith("-")) {
          const opt = words.shift()!;
          if (/^-[ugCnpcsk]$/.test(opt)) words.shift();
        }
        if (first === "timeout") words.shift(); // the duration
        continue;
      }
      // sh -c 'cmd', bash -lc "cmd": the quoted command's words follow (quotes are stripped).
      const c = words.slice(1).findIndex((w) => /^-[a-z]+$/.test(w) && w.includes("c"));
      if (SHELL_NAME.test(first) && c !== -1 && words.slice(1, c + 1).every((w) => w[0] === "-")) {
        words.splice(0, c + 2);
        continue;
      }
      break;
    }
    if (words.length > 0) {
      words[0] = baseName(words[0]);
      segments.push(words);
    }
  }
  return segments;
}

/** True when a pipeline stage running curl or wget pipes straight into a shell. Linear. */
function downloadPipedToShell(command: string): boolean {
  for (const piece of command.split(/[;&\n]/)) {
    const stages = piece.split("|");
    for (let k = 0; k < stages.length - 1; k++) {
      if (DOWNLOADER.test(stages[k]) && SHELL_FIRST.test(stages[k + 1].slice(0, 128))) return true;
    }
  }
  return false;
}

/** The name of a shell function whose definition ends `before` (`name()`, `function name`). */
function functionNameBefore(before: string): string | undefined {
  let head = before.trimEnd();
  if (head.endsWith(")")) {
    head = head.slice(0, -1).trimEnd();
    if (!head.endsWith("(")) return undefined;
    head = head.slice(0, -1).trimEnd();
  }
  let start = head.length;
  while (start > 0 && /[\w:.-]/.test(head[start - 1])) start--;
  return start < head.length ? head.slice(start) : undefined;
}

/** Strips quotes from both ends of a word (by hand: a regex is quadratic on a run of quotes). */
function trimQuotes(word: string): string {
  let start = 0;
  let end = word.length;
  while (start < end && (word[start] === '"' || word[start] === "'")) start++;
  while (end > start && (word[end - 1] === '"' || word[end - 1] === "'")) end--;
  return word.slice(start, end);
}

function baseName(word: string): string {
  return word.includes("/") ? word.slice(word.lastIndexOf("/") + 1) : word;
}

function trimSlashes(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/**
 * Pairs each simple command with whether the working folder is then known to be a protected one
 * (after `cd /`, `cd ~` or a bare `cd`), so `cd / && rm -rf *` is seen for what it is.
 */
function withWorkingDir(
  segments: string[][],
  home: string | undefined,
): { words: string[]; cwdProtected: boolean }[] {
  let cwdProtected = false;
  return segments.map((words) => {
    if (words[0] === "cd") {
      const target = words.slice(1).find((w) => !w.startsWith("-"));
      cwdProtected = target === undefined || isProtectedTarget(target, home, cwdProtected);
    }
    return { words, cwdProtected };
  });
}

function isProtectedTarget(arg: string, home: string | undefined, cwdProtected: boolean): boolean {
  if (arg === "--no-preserve-root") return true;
  if (arg.startsWith("-")) return false;
  // Another user's home folder: ~bob, ~bob/.
  if (/^~[\w.-]+\/?$/.test(arg)) return true;
  const globless = arg.replace(/\/\*$/, "/").replace(/^\*$/, ".");
  let path: string;
  if (globless === "~" || globless.startsWith("~/")) {
    path = (home && home !== "/" ? home : "/home/~") + globless.slice(1);
  } else if (globless.startsWith("/")) {
    path = globless;
  } else if (cwdProtected) {
    // Relative to a folder that is itself protected: `.`, `./`, `*` and `..` mean it or above.
    const rel = posix.normalize(globless).replace(/\/+$/, "");
    return rel === "." || rel === ".." || rel.startsWith("../");
  } else {
    return false;
  }
  const normal = trimSlashes(posix.normalize(path));
  const homeDir = home && home !== "/" ? trimSlashes(posix.normalize(home)) : "/home/~";
  // The root, a system folder, the home folder, or any folder above it.
  return SYSTEM_DIRS.has(normal) || normal === homeDir || homeDir.startsWith(normal + "/");
}
