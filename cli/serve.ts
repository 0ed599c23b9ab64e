/**
 * `herald serve`: starts the gateway and waits until it stops. The gateway prints its banner
 * (warnings included) and handles SIGINT/SIGTERM with a graceful shutdown itself.
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { type CliIo, forUser } from "./io.ts";

/** The part of a running gateway serve needs (see server/gateway.ts). */
export interface GatewayHandle {
  /** Settles when the gateway has stopped. */
  finished: Promise<void>;
}

/** Starts the gateway (gateway/gateway.ts `startGateway`). */
export type StartGateway = (
  resolved: ResolvedConfig,
  options: { log: (line: string) => void; logLevel?: "debug" },
) => Promise<GatewayHandle>;

/** Runs `herald serve` and returns the exit code once the gateway has stopped. */
export async function runServe(
  resolved: ResolvedConfig,
  io: CliIo,
  startGateway: StartGateway,
  options: { verbose?: boolean } = {},
): Promise<number> {
  let gateway: GatewayHandle;
  try {
    gateway = await startGateway(resolved, {
      log: (line) => io.stdout.write(forUser(line, io.command) + "\n"),
      ...(options.verbose ? { logLevel: "debug" as const } : {}),
    });
  } catch (error) {
    if (!isPortInUse(error)) throw error;
    io.stderr.write(forUser(portInUseMessage(error, resolved), io.command) + "\n");
    return 1;
  }
  await gateway.finished;
  return 0;
}

// gateway/ is imported lazily, so its PortInUseError is recognised by name.
function isPortInUse(error: unknown): error is Error & { host: string; port: number } {
  return error instanceof Error && error.name === "PortInUseError";
}

/** Names the port and the three ways to choose another. */
export function portInUseMessage(
  error: { host: string; port: number },
  resolved: ResolvedConfig,
): string {
  const other = error.port === 9000 ? 9001 : 9000;
  return [
    `herald: Cannot listen on ${error.host}:${error.port}: the port is already in use ` +
    "(another Herald is running, or another program took it).",
    `Choose another port: \`herald serve --port ${other}\`, or API_SERVER_PORT=${other} in the ` +
    `environment or ${resolved.home}/.env, or api_server.port in ${resolved.home}/config.yaml.`,
  ].join("\n");
}
