/**
 * The `metadata` object of responses and conversations, with OpenAI's limits: at most 16 keys,
 * keys up to 64 characters, string values up to 512 characters. Each breach is its own message.
 * @module
 */
import { z } from "zod";

/** Most keys a metadata object holds. */
export const METADATA_MAX_KEYS = 16;
/** Longest metadata key, in characters. */
export const METADATA_MAX_KEY_CHARS = 64;
/** Longest metadata value, in characters. */
export const METADATA_MAX_VALUE_CHARS = 512;

/** A metadata object; an update replaces the whole object (OpenAI's semantics). */
export const MetadataSchema = z.record(z.string(), z.string()).superRefine((metadata, ctx) => {
  const keys = Object.keys(metadata);
  if (keys.length > METADATA_MAX_KEYS) {
    ctx.addIssue({
      code: "custom",
      message: `metadata holds at most ${METADATA_MAX_KEYS} keys; got ${keys.length}.`,
    });
  }
  for (const key of keys) {
    if (key.length > METADATA_MAX_KEY_CHARS) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `metadata keys are at most ${METADATA_MAX_KEY_CHARS} characters; ` +
          `this one has ${key.length}.`,
      });
    } else if (metadata[key].length > METADATA_MAX_VALUE_CHARS) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `metadata values are at most ${METADATA_MAX_VALUE_CHARS} characters; ` +
          `this one has ${metadata[key].length}.`,
      });
    }
  }
});
