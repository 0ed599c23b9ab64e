/**
 * Reads the zod schema as data: every leaf key with its type, default, environment names and
 * description. The loader, the unknown-key check and the docs all walk the schema through this,
 * so config/schema.ts stays the single source of truth.
 * @module
 */
import type { z } from "zod";
import { ConfigSchema } from "./schema.ts";

/** The value shapes a configuration leaf can take, as far as coercion and docs care. */
export type LeafKind =
  | "string"
  | "url"
  | "number"
  | "integer"
  | "boolean"
  | "enum"
  | "string_list"
  | "enum_list"
  | "object_list"
  | "object_map";

/** One leaf key of the configuration. */
export interface ConfigLeaf {
  /** Path from the root, e.g. `["api_server", "port"]`. */
  path: string[];
  /** The dotted path, e.g. `api_server.port`. */
  key: string;
  kind: LeafKind;
  /** Environment variables that set it: first preferred, the rest aliases. */
  env: string[];
  description: string;
  /** Whether the schema supplies a default (otherwise the key is optional). */
  hasDefault: boolean;
  defaultValue?: unknown;
  /** Allowed values, for `enum` and `enum_list`. */
  options?: string[];
  /** Bounds from `.min()`/`.max()`/`.positive()`, for numbers. */
  minimum?: number;
  maximum?: number;
  /** Whether the minimum is exclusive (`.positive()`). */
  exclusiveMinimum?: boolean;
}

// zod v4 exposes its definition through `def`; the public types do not describe it, so we read it
// through this narrow view.
interface SchemaView {
  def: {
    type: string;
    innerType?: SchemaView;
    element?: SchemaView;
    shape?: Record<string, SchemaView>;
    defaultValue?: unknown;
    format?: string;
    entries?: Record<string, string>;
    checks?: { _zod: { def: { check: string; value?: number; inclusive?: boolean } } }[];
  };
  meta(): Record<string, unknown> | undefined;
}

/**
 * Lists every leaf of a configuration schema, depth first in declaration order.
 *
 * @example
 * ```ts
 * const port = listConfigLeaves().find((leaf) => leaf.key === "api_server.port");
 * port?.env; // ["API_SERVER_PORT"]
 * ```
 */
export function listConfigLeaves(schema: z.ZodType = ConfigSchema): ConfigLeaf[] {
  const leaves: ConfigLeaf[] = [];
  walk(schema as unknown as SchemaView, [], leaves);
  return leaves;
}

/**
 * Returns the object children of a node: the shape of an object schema, looking through
 * default/prefault/optional wrappers; undefined for leaves.
 */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const inner = unwrap(schema as unknown as SchemaView);
  return inner.def.type === "object"
    ? inner.def.shape as unknown as Record<string, z.ZodType>
    : undefined;
}

function walk(node: SchemaView, path: string[], out: ConfigLeaf[]): void {
  const inner = unwrap(node);
  if (inner.def.type === "object" && inner.def.shape) {
    for (const [name, child] of Object.entries(inner.def.shape)) walk(child, [...path, name], out);
    return;
  }
  const meta = findMeta(node);
  const leaf: ConfigLeaf = {
    path,
    key: path.join("."),
    kind: kindOf(inner),
    env: Array.isArray(meta?.env) ? meta.env as string[] : [],
    description: typeof meta?.description === "string" ? meta.description : "",
    hasDefault: node.def.type === "default",
  };
  if (node.def.type === "default") leaf.defaultValue = node.def.defaultValue;
  const enumNode = inner.def.type === "array" ? inner.def.element : inner;
  if (enumNode?.def.type === "enum" && enumNode.def.entries) {
    leaf.options = Object.values(enumNode.def.entries);
  }
  for (const check of inner.def.checks ?? []) {
    const def = check._zod.def;
    if (def.check === "greater_than") {
      leaf.minimum = def.value;
      leaf.exclusiveMinimum = def.inclusive === false;
    }
    if (def.check === "less_than") leaf.maximum = def.value;
  }
  out.push(leaf);
}

function unwrap(node: SchemaView): SchemaView {
  let current = node;
  while (current.def.innerType) current = current.def.innerType;
  return current;
}

// The meta sits on the outermost wrapper (`.default(...).meta(...)`), but look inward too so a
// schema written the other way round still works.
function findMeta(node: SchemaView): Record<string, unknown> | undefined {
  let current: SchemaView | undefined = node;
  while (current) {
    const meta = current.meta();
    if (meta && (meta.env || meta.description)) return meta;
    current = current.def.innerType;
  }
  return undefined;
}

function kindOf(inner: SchemaView): LeafKind {
  switch (inner.def.type) {
    case "boolean":
      return "boolean";
    case "number":
      return (inner.def.checks ?? []).some((check) =>
          (check._zod.def as { format?: string }).format === "safeint"
        ) || inner.def.format === "safeint"
        ? "integer"
        : "number";
    case "enum":
      return "enum";
    case "array": {
      const element = inner.def.element ? unwrap(inner.def.element) : undefined;
      if (element?.def.type === "enum") return "enum_list";
      if (element?.def.type === "object") return "object_list";
      return "string_list";
    }
    case "string":
      return inner.def.format === "url" ? "url" : "string";
    case "record":
      return "object_map";
    default:
      return "string";
  }
}
