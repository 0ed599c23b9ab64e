/**
 * Validates Response objects and stream events against the Open Responses OpenAPI document
 * (JSON Schema draft 2020-12, through ajv).
 *
 * The document is third-party material and is not in the repository. It is found in one place:
 * the file named by `HERALD_OPENRESPONSES_SCHEMA`, else `../shared/reference/openresponses-openapi.json`
 * beside the repository. When neither exists, the schema tests are reported as ignored with
 * that reason, and every other test still runs.
 *
 * Behaviour tests record what they saw with {@link SchemaSamples}; one test registered last in
 * the file ({@link SchemaSamples.test}) validates everything recorded.
 * @module
 */
import Ajv2020 from "ajv/dist/2020.js";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The environment variable naming the Open Responses OpenAPI document. */
export const SCHEMA_ENV = "HERALD_OPENRESPONSES_SCHEMA";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Where the document is looked for: the env var, else the sibling shared/ folder. */
export function schemaPath(): { path: string; fromEnv: boolean } {
  const fromEnv = Deno.env.get(SCHEMA_ENV);
  if (fromEnv) return { path: resolve(fromEnv), fromEnv: true };
  return {
    path: join(repoRoot, "..", "shared", "reference", "openresponses-openapi.json"),
    fromEnv: false,
  };
}

// deno-lint-ignore no-explicit-any
type Validate = ((value: unknown) => boolean) & { errors?: any };

interface Validators {
  response: Validate;
  event(type: string): Validate;
  named(name: string): Validate;
}

/** The loaded validators, or null when the document is absent (a set env var must point at it). */
async function loadValidators(): Promise<Validators | null> {
  const { path, fromEnv } = schemaPath();
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !fromEnv) return null;
    throw new Error(`Cannot read the Open Responses schema at ${path} (${SCHEMA_ENV})`, {
      cause: error,
    });
  }
  // deno-lint-ignore no-explicit-any
  const doc: any = JSON.parse(text);
  const schemas: Record<string, Record<string, unknown>> = doc.components.schemas;
  // deno-lint-ignore no-explicit-any
  const ajv = new (Ajv2020 as any)({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: "openresponses", components: doc.components });
  const compiled = new Map<string, Validate>();
  const named = (name: string): Validate => {
    let validate = compiled.get(name);
    if (!validate) {
      validate = ajv.compile({ $ref: `openresponses#/components/schemas/${name}` }) as Validate;
      compiled.set(name, validate);
    }
    return validate;
  };
  /** Event type → the schema name that describes it. */
  const eventSchemas = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    if (!name.endsWith("StreamingEvent")) continue;
    // deno-lint-ignore no-explicit-any
    const type = (schema as any).properties?.type?.enum?.[0];
    if (type) eventSchemas.set(type, name);
  }
  return {
    response: named("ResponseResource"),
    event(type) {
      const name = eventSchemas.get(type);
      if (!name) throw new Error(`Stream event type '${type}' is not in the Open Responses union`);
      return named(name);
    },
    named,
  };
}

const validators = await loadValidators();

/** True when the Open Responses document was found. */
export const schemaAvailable: boolean = validators !== null;

function need(): Validators {
  if (!validators) throw new Error(`The Open Responses schema is absent; set ${SCHEMA_ENV}.`);
  return validators;
}

/** Throws when `response` is not a valid Open Responses ResponseResource. */
export function assertValidResponse(response: unknown): void {
  const validate = need().response;
  if (!validate(response)) {
    throw new Error(
      `Response fails the Open Responses schema: ${JSON.stringify(validate.errors)}`,
    );
  }
}

/** Throws when `event` is not one of the Open Responses streaming events, or is invalid. */
export function assertValidEvent(event: { type: string }): void {
  const validate = need().event(event.type);
  if (!validate(event)) {
    throw new Error(`Event ${event.type} fails its schema: ${JSON.stringify(validate.errors)}`);
  }
}

/** Throws when `value` does not match the named Open Responses component schema. */
export function assertMatchesSchema(name: string, value: unknown): void {
  const validate = need().named(name);
  if (!validate(value)) {
    throw new Error(
      `Value fails the Open Responses ${name} schema: ${JSON.stringify(validate.errors)}`,
    );
  }
}

/**
 * Responses, events and named values a test file saw, validated by one test at the end of the
 * file. Recording costs nothing when the schema is absent, so the behaviour tests always run.
 *
 * @example
 * ```ts
 * const samples = new SchemaSamples();
 * Deno.test("…", async () => { samples.response(await client.responses.create(…)); });
 * samples.test("every response above matches the Open Responses schema");
 * ```
 */
export class SchemaSamples {
  readonly #samples: { label: string; check: () => void }[] = [];

  /** Records a Response object. */
  response(response: unknown, label = "response"): void {
    this.#samples.push({ label, check: () => assertValidResponse(response) });
  }

  /** Records stream events. */
  events(events: readonly { type: string }[], label = "stream"): void {
    for (const event of events) {
      this.#samples.push({
        label: `${label}: ${event.type}`,
        check: () => assertValidEvent(event),
      });
    }
  }

  /** Records a value for a named component schema. */
  matches(name: string, value: unknown): void {
    this.#samples.push({ label: name, check: () => assertMatchesSchema(name, value) });
  }

  /**
   * Registers the test validating every sample; call it after the file's other tests. Ignored,
   * with the reason in its name, when the schema is absent.
   */
  test(name: string): void {
    Deno.test({
      name: schemaAvailable
        ? name
        : `${name} (ignored: Open Responses schema not found; set ${SCHEMA_ENV})`,
      ignore: !schemaAvailable,
      fn: () => {
        if (this.#samples.length === 0) {
          throw new Error("No samples were recorded: run the whole file, not just this test.");
        }
        const failures: string[] = [];
        for (const sample of this.#samples) {
          try {
            sample.check();
          } catch (error) {
            failures.push(`${sample.label}: ${(error as Error).message}`);
          }
        }
        if (failures.length) throw new Error(failures.join("\n"));
      },
    });
  }
}
