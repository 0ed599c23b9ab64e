/**
 * The table of commands and their options. Argument parsing and help text are both derived from
 * it, so they cannot disagree.
 * @module
 */

/** One command-line option. */
export interface OptionSpec {
  name: string;
  short?: string;
  type: "string" | "boolean";
  /** Placeholder shown in help for string options, e.g. `PORT`. */
  value?: string;
  description: string;
}

/** One command. */
export interface CommandSpec {
  name: string;
  /** Words after `herald`, e.g. `config check`. */
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Sub-commands such as `check` and `show` of `config`. */
  subcommands?: string[];
  /** Whether the command takes free arguments (`help <command>`). */
  positionals?: boolean;
  examples: string[];
}

const CONFIG: OptionSpec = {
  name: "config",
  type: "string",
  value: "PATH",
  description: "Read this config.yaml instead of $HERALD_HOME/config.yaml.",
};
const HOST: OptionSpec = {
  name: "host",
  type: "string",
  value: "HOST",
  description: "Address the API server binds (overrides api_server.host).",
};
const PORT: OptionSpec = {
  name: "port",
  type: "string",
  value: "PORT",
  description: "Port the API server listens on (overrides api_server.port).",
};
/** `--help`, accepted by every command. */
export const HELP_OPTION: OptionSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  description: "Show help for the command.",
};

/** Every command, in the order help lists them. */
export const COMMANDS: CommandSpec[] = [
  {
    name: "serve",
    usage: "serve [--host HOST] [--port PORT] [--config PATH] [--verbose]",
    summary: "Start the gateway: the HTTP API and, when configured, the Telegram bot (default).",
    options: [HOST, PORT, CONFIG, {
      name: "verbose",
      short: "v",
      type: "boolean",
      description: "Log every request and every tool call (log.level debug).",
    }],
    examples: ["herald serve", "herald serve --host 0.0.0.0 --port 9000"],
  },
  {
    name: "chat",
    usage: "chat [-q|--query TEXT] [--config PATH]",
    summary: "Talk to the agent in the terminal, or ask one question with -q.",
    options: [
      {
        name: "query",
        short: "q",
        type: "string",
        value: "TEXT",
        description: "Ask one question, print the answer and exit (non-zero on failure).",
      },
      CONFIG,
    ],
    examples: ["herald chat", 'herald chat -q "What is in this directory?"'],
  },
  {
    name: "config",
    usage: "config check|show [--host HOST] [--port PORT] [--config PATH]",
    summary: "Validate the configuration (check) or print the effective one (show).",
    options: [HOST, PORT, CONFIG],
    subcommands: ["check", "show"],
    examples: ["herald config check", "herald config show"],
  },
  {
    name: "key",
    usage:
      "key [add NAME [--scope SCOPE] | list | revoke NAME | rotate [NAME]] [--rotate] [--config PATH]",
    summary: "Print the API key clients must send (generating it if needed), or manage named keys.",
    options: [
      {
        name: "scope",
        type: "string",
        value: "SCOPE",
        description: "With `add`: what the key may do, full (default), read or chat.",
      },
      {
        name: "rotate",
        type: "boolean",
        description: "Replace the key in $HERALD_HOME/api_key with a new random one.",
      },
      CONFIG,
    ],
    positionals: true,
    examples: [
      "herald key",
      "herald key add alice --scope chat",
      "herald key list",
      "herald key rotate alice",
      "herald key revoke alice",
    ],
  },
  {
    name: "mcp",
    usage: "mcp list | mcp call SERVER TOOL ['JSON'] [--config PATH]",
    summary: "List the configured MCP servers and their tools, or call one tool to try it.",
    options: [CONFIG],
    subcommands: ["list", "call"],
    positionals: true,
    examples: [
      "herald mcp list",
      `herald mcp call everything echo '{"message": "hi"}'`,
    ],
  },
  {
    name: "doctor",
    usage: "doctor [--host HOST] [--port PORT] [--config PATH]",
    summary: "Check the LLM upstream, the database, the Telegram token and the port.",
    options: [HOST, PORT, CONFIG],
    examples: ["herald doctor"],
  },
  {
    name: "audit",
    usage: "audit [--tool NAME] [--since DURATION] [--json] [-f|--follow] [--config PATH]",
    summary: "Show the audit trail of tool calls (also while the gateway runs).",
    options: [
      {
        name: "tool",
        type: "string",
        value: "NAME",
        description: "Only calls of this tool (terminal, read_file, web_fetch…).",
      },
      {
        name: "since",
        type: "string",
        value: "DURATION",
        description: "Only calls in the last DURATION (30m, 2h, 7d, 1w) or since a date.",
      },
      { name: "json", type: "boolean", description: "Print the records as JSON lines." },
      {
        name: "follow",
        short: "f",
        type: "boolean",
        description: "Keep printing calls as they happen, until Ctrl-C.",
      },
      CONFIG,
    ],
    examples: [
      "herald audit --since 1h",
      "herald audit --tool terminal --json",
      "herald audit -f",
    ],
  },
  {
    name: "help",
    usage: "help [COMMAND]",
    summary: "Show help for herald or for one command.",
    options: [],
    positionals: true,
    examples: ["herald help chat"],
  },
  {
    name: "version",
    usage: "version",
    summary: "Print the version (also --version, -V).",
    options: [],
    examples: ["herald --version"],
  },
];

/** Finds a command by name. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === name);
}
