/**
 * Start-up checks on exposure. Whoever can call Herald can run shell commands on this machine,
 * so binding beyond loopback is allowed only with auth on, and always says out loud which
 * protections are active. (Key strength is checked where keys are loaded, in config/.)
 * @module
 */
import { type Config, ConfigError } from "../../config/mod.ts";
import { isLoopback } from "./host.ts";

/** The part of the configuration the check reads. */
export type ExposureConfig = Pick<
  Config["api_server"],
  "host" | "port" | "auth" | "allowed_hosts" | "cors_origins"
>;

/**
 * Checks how exposed the gateway is about to be. Returns null on a loopback bind, a warning that
 * names the active protections on any other bind, and throws when auth is off on a non-loopback
 * bind (or when no key is configured there).
 *
 * @example
 * ```ts
 * const warning = checkExposure(config.api_server, keys);
 * if (warning) console.error(warning);
 * ```
 */
export function checkExposure(config: ExposureConfig, keys: readonly string[]): string | null {
  if (isLoopback(config.host)) return null;
  if (config.auth === false) {
    throw new ConfigError([
      `Refusing to start: api_server.auth is false while binding ${config.host}, a non-loopback ` +
      "address. Anyone who can reach that address could run commands on this machine. Turn " +
      "auth back on (remove API_SERVER_AUTH=false) or bind 127.0.0.1.",
    ]);
  }
  if (keys.length === 0) {
    throw new ConfigError([
      `Refusing to start: no API key is configured while binding ${config.host}. Set ` +
      "API_SERVER_KEY (or run `herald key`).",
    ]);
  }
  const hosts = config.allowed_hosts.length > 0
    ? `allowed hosts ${config.allowed_hosts.join(", ")}`
    : "any Host header (set api_server.allowed_hosts to restrict)";
  const origins = config.cors_origins.length > 0
    ? `browser origins ${config.cors_origins.join(", ")}`
    : "no browser origins";
  return `listening on ${config.host}:${config.port}, reachable from other machines. ` +
    `Anyone with an API key can run commands here. Active protections: ` +
    `${keys.length} API key${keys.length === 1 ? "" : "s"}, ${hosts}, ${origins}, ` +
    "failed-auth throttling. Requests travel in clear text unless a TLS proxy fronts Herald " +
    "(see docs/security.md).";
}
