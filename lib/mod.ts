/**
 * The bottom of the tree: small helpers every layer may use, each implemented once. Imports
 * nothing of Herald's.
 * @module
 */

export { describeError } from "./describe_error.ts";
export { constantTimeEqual } from "./constant_time.ts";
export { abortableSleep, settlesWithin } from "./timers.ts";
export { type ListedTimeout, TimeoutList } from "./timeout_list.ts";
export { bytesToBase64, concatBytes, sha256Hex } from "./encoding.ts";
export { isJsonContentType, isRemoteKvPath } from "./media_types.ts";
export { flushStderrLines, queueStderrLine, writeStderrLine } from "./stderr_line.ts";
export { randomHex } from "./random_hex.ts";
export { denoBundle, type DenoBundleOptions } from "./deno_bundle.ts";
