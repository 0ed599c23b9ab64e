/**
 * The terminal tool's guard against plainly destructive commands (wiping / or home, formatting
 * disks, fork bombs, shutting the machine down, piping downloads into a shell). It is a seatbelt
 * against a model's mistakes, not a sandbox: a determined command can always get around a list.
 * @module
 */
import { posix } from "node:path";

/** Adjustments from `tools.terminal`. */
export interface CommandPolicyOptions {
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
      segments.some(([cmd, ...args]) =>
        cmd === "dd" && args.some((a) => new RegExp(`^of=${RAW_DISK}`).test(a))
      ),
  },
  {
    reason: "it would wipe a disk device",
    test: (_c, segments) =>
      segments.some(([cmd, ...args]) =>
        /^(shred|wipefs|blkdiscard)$/.test(cmd) &&
        args.some((a) => new RegExp(`^${RAW_DISK}`).test(a))
      ),
  },
  {
    reason: "it writes straight onto a raw disk device",
    test: (c) => new RegExp(String.raw`>\s*${RAW_DISK}|\btee\s+(?:-a\s+)?${RAW_DISK}`).test(c),
  },
  {
    reason: "it is a fork bomb",
    test: (c) =>
      /:\s*\(\s*\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;?\s*:/.test(c) ||
      /\b(\w+)\s*\(\s*\)\s*\{\s*\1\s*\|\s*\1\s*&\s*\}/.test(c),
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
      new RegExp(String.raw`\b(?:curl|wget)\b[^|;&]*\|\s*${SHELL}`).test(c) ||
      new RegExp(String.raw`${SHELL}\s+(?:-\w+\s+)*<\(\s*(?:curl|wget)\b`).test(c) ||
      new RegExp(String.raw`${SHELL}\s+-c\s+["']?\$\(\s*(?:curl|wget)\b`).test(c),
  },
];

/**
 * Decides whether the terminal may run a command.
 *
 * @example
 * ```ts
 * const policy = new CommandPolicy({ deny: ["\\bgit\\s+push\\b"] });
 * policy.check("rm -rf /"); // "blocked: it would recursively delete …"
 * policy.check("ls -la"); // null
 * ```
 */
export class CommandPolicy {
  #deny: RegExp[];
  #allow: RegExp[];
  #home: string | undefined;

  /** @throws Error when a configured pattern is not a valid regular expression. */
  constructor(options: CommandPolicyOptions = {}) {
    this.#deny = compileAll(options.deny ?? [], "tools.terminal.deny");
    this.#allow = compileAll(options.allow ?? [], "tools.terminal.allow");
    this.#home = options.home ?? Deno.env.get("HOME");
  }

  /**
   * Returns `null` when the command may run, otherwise the refusal text (starting `blocked: `).
   * A configured deny pattern always wins; an allow pattern overrides only the built-in list.
   */
  check(command: string): string | null {
    const found = this.classify(command);
    if (!found) return null;
    if (found.configured) {
      return `blocked: ${found.reason} (tools.terminal.deny). Do not retry it; ask the user to ` +
        "run it themselves if needed.";
    }
    return `blocked: ${found.reason}. This command is on the terminal's deny-list; ` +
      "do not retry it in another form. If the user really wants it, they can run it " +
      "themselves or allow it with tools.terminal.allow.";
  }

  /**
   * Why the command is dangerous, or null: `configured` when a `tools.terminal.deny` pattern
   * matched (a wall no approval opens), otherwise a built-in rule (a person may approve it).
   */
  classify(command: string): { reason: string; configured: boolean } | null {
    for (const pattern of this.#deny) {
      if (pattern.test(command)) {
        return {
          reason: `the command matches the configured deny pattern /${pattern.source}/`,
          configured: true,
        };
      }
    }
    if (this.#allow.some((p) => p.test(command))) return null;
    const segments = splitCommand(command, this.#home);
    for (const rule of BUILTIN_RULES) {
      if (rule.test(command, segments, this.#home)) {
        return { reason: rule.reason, configured: false };
      }
    }
    return null;
  }
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
      let word = w.replace(/^["']+|["']+$/g, "").replace(/^\\/, "")
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
      const c = words.slice(1).findIndex((w) => /^-[a-z]*c[a-z]*$/.test(w));
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
