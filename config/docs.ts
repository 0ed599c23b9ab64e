/**
 * Renders the configuration reference from the schema, so docs/configuration.md cannot drift
 * from the keys, defaults and environment names the loader actually uses.
 * @module
 */
import { type ConfigLeaf, listConfigLeaves } from "./schema_walk.ts";

const TYPE_NAMES: Record<ConfigLeaf["kind"], string> = {
  string: "string",
  url: "URL",
  number: "number",
  integer: "integer",
  boolean: "boolean",
  enum: "enum",
  string_list: "list of strings",
  enum_list: "list",
  object_list: "list of mappings",
  object_map: "mapping of names to mappings",
};

/**
 * Renders the reference as Markdown: one table per top-level section, one row per key with its
 * type, environment variables, default and description.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("reference.md", renderConfigReference());
 * ```
 */
export function renderConfigReference(leaves: ConfigLeaf[] = listConfigLeaves()): string {
  const sections = new Map<string, ConfigLeaf[]>();
  for (const leaf of leaves) {
    const section = leaf.path.length > 1 ? leaf.path[0] : "general";
    sections.set(section, [...(sections.get(section) ?? []), leaf]);
  }
  const parts: string[] = [];
  for (const [section, rows] of sections) {
    parts.push(`### \`${section}\``, "");
    parts.push("| Key | Type | Environment | Default | Description |");
    parts.push("| --- | --- | --- | --- | --- |");
    for (const leaf of rows) {
      const cells = [
        `\`${leaf.key}\``,
        typeName(leaf),
        leaf.env.length > 0 ? leaf.env.map((name) => `\`${name}\``).join(", ") : "—",
        formatDefault(leaf),
        leaf.description,
      ];
      parts.push(`| ${cells.map(escapeCell).join(" | ")} |`);
    }
    parts.push("");
  }
  return parts.join("\n");
}

function typeName(leaf: ConfigLeaf): string {
  const base = TYPE_NAMES[leaf.kind];
  if (leaf.kind === "enum") return leaf.options?.join(" \\| ") ?? base;
  if (leaf.kind === "enum_list") return `list of: ${leaf.options?.join(", ")}`;
  return base;
}

function formatDefault(leaf: ConfigLeaf): string {
  if (!leaf.hasDefault) return "unset";
  const value = leaf.defaultValue;
  if (Array.isArray(value)) {
    return value.length === 0 ? "`[]`" : value.map((item) => `\`${String(item)}\``).join(", ");
  }
  if (value !== null && typeof value === "object") return `\`${JSON.stringify(value)}\``;
  return `\`${String(value)}\``;
}

function escapeCell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/(?<!\\)\|/g, "\\|");
}
