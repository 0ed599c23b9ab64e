/**
 * Validates Response objects and stream events against the Open Responses OpenAPI document
 * (JSON Schema draft 2020-12, through ajv).
 * @module
 */
import Ajv2020 from "ajv/dist/2020.js";

const docPath = new URL("../../../../shared/reference/openresponses-openapi.json", import.meta.url);
// deno-lint-ignore no-explicit-any
const doc: any = JSON.parse(await Deno.readTextFile(docPath));
const schemas: Record<string, Record<string, unknown>> = doc.components.schemas;

// deno-lint-ignore no-explicit-any
const ajv = new (Ajv2020 as any)({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: "openresponses", components: doc.components });

function validator(name: string) {
  return ajv.compile({ $ref: `openresponses#/components/schemas/${name}` });
}

const responseValidator = validator("ResponseResource");

/** Event type → the schema name that describes it. */
const eventSchemas = new Map<string, string>();
for (const [name, schema] of Object.entries(schemas)) {
  if (!name.endsWith("StreamingEvent")) continue;
  // deno-lint-ignore no-explicit-any
  const type = (schema as any).properties?.type?.enum?.[0];
  if (type) eventSchemas.set(type, name);
}
const eventValidators = new Map<string, ReturnType<typeof validator>>();

/** Throws when `response` is not a valid Open Responses ResponseResource. */
export function assertValidResponse(response: unknown): void {
  if (!responseValidator(response)) {
    throw new Error(
      `Response fails the Open Responses schema: ${JSON.stringify(responseValidator.errors)}`,
    );
  }
}

/** Throws when `event` is not one of the Open Responses streaming events, or is invalid. */
export function assertValidEvent(event: { type: string }): void {
  const name = eventSchemas.get(event.type);
  if (!name) {
    throw new Error(`Stream event type '${event.type}' is not in the Open Responses union`);
  }
  let validate = eventValidators.get(name);
  if (!validate) eventValidators.set(name, validate = validator(name));
  if (!validate(event)) {
    throw new Error(`Event ${event.type} fails ${name}: ${JSON.stringify(validate.errors)}`);
  }
}

/** Throws when `value` does not match the named Open Responses component schema. */
export function assertMatchesSchema(name: string, value: unknown): void {
  const validate = validator(name);
  if (!validate(value)) {
    throw new Error(
      `Value fails the Open Responses ${name} schema: ${JSON.stringify(validate.errors)}`,
    );
  }
}
