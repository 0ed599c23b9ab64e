/**
 * The composition root: the one place that knows every folder. It loads nothing itself; given a
 * resolved configuration it opens the store, builds the agent with its upstream client and
 * tools, and wires the HTTP API and the platforms around it.
 * @module
 */

export { PortInUseError, resolveApiKeys, startGateway } from "./gateway.ts";
export type { Gateway, StartGatewayOptions } from "./gateway.ts";
export { createLlmClient, createSandbox, llmTargets, openRuntime } from "./runtime.ts";
export type { Runtime } from "./runtime.ts";
