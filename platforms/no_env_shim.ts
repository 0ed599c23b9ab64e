/**
 * Gives npm code in the worker an empty `process.env`. The worker runs without env permission,
 * but the `debug` package (used by grammY) enumerates the whole
 * environment when it loads, which would throw NotCapable. Imported first by the worker entry,
 * so it runs before those modules are evaluated.
 * @module
 */
import process from "node:process";

Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true });
