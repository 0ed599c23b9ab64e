/**
 * `herald serve`: starts the gateway and waits until it stops. The gateway prints its banner
 * (warnings included) and handles SIGINT/SIGTERM with a graceful shutdown itself.
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import type { CliIo } from "./io.ts";

/** The part of a running gateway serve needs (see server/gateway.ts). */
export interface GatewayHandle {
  /** Settles when the gateway has stopped. */
  finished: Promise<void>;
}

/** Starts the gateway (server/gateway.ts `startGateway`). */
export type StartGateway = (
  resolved: ResolvedConfig,
  options: { log: (line: string) => void },
) => Promise<GatewayHandle>;

/** Runs `herald serve` and returns the exit code once the gateway has stopped. */
export async function runServe(
  resolved: ResolvedConfig,
  io: CliIo,
  startGateway: StartGateway,
): Promise<number> {
  const gateway = await startGateway(resolved, { log: (line) => io.stdout.write(line + "\n") });
  await gateway.finished;
  return 0;
}
