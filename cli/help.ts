/**
 * Help text, generated from the command table.
 * @module
 */
import { COMMANDS, type CommandSpec, HELP_OPTION, type OptionSpec } from "./commands.ts";

/** The overview `herald --help` prints: every command and its options. */
export function renderHelp(version: string): string {
  const lines = [
    `herald ${version} — a Deno-native agent gateway`,
    "",
    "Usage: herald [COMMAND] [OPTIONS]",
    "",
    "Commands:",
  ];
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  for (const command of COMMANDS) lines.push(`  ${command.name.padEnd(width)}  ${command.summary}`);
  lines.push("", "Options:");
  for (const command of COMMANDS.filter((candidate) => candidate.options.length > 0)) {
    lines.push(`  herald ${command.usage}`);
  }
  lines.push(
    "  herald --version, -V",
    "  herald --help, -h, herald help COMMAND",
    "",
    "Without a command, herald serves. Settings come from $HERALD_HOME/config.yaml, $HERALD_HOME/.env",
    "and the environment ($HERALD_HOME defaults to ~/.herald); see docs/configuration.md.",
    "",
  );
  return lines.join("\n");
}

/** The help of one command: usage, options and examples. */
export function renderCommandHelp(command: CommandSpec): string {
  const lines = [`Usage: herald ${command.usage}`, "", command.summary, ""];
  const options = [...command.options, HELP_OPTION];
  lines.push("Options:");
  const labels = options.map(optionLabel);
  const width = Math.max(...labels.map((label) => label.length));
  options.forEach((option, index) => {
    lines.push(`  ${labels[index].padEnd(width)}  ${option.description}`);
  });
  lines.push("", "Examples:", ...command.examples.map((example) => `  ${example}`), "");
  return lines.join("\n");
}

function optionLabel(option: OptionSpec): string {
  const long = `--${option.name}${option.value ? ` ${option.value}` : ""}`;
  return option.short ? `-${option.short}, ${long}` : `    ${long}`;
}
