/**
 * Server-side request forgery guard for web_fetch: classifies IP addresses (loopback, private,
 * link-local and cloud metadata, CGNAT, unique-local IPv6, IPv4 hidden in IPv6…) and checks every
 * address a host name resolves to, so a URL cannot reach the machine or its network.
 * @module
 */

/** Resolves a host name to its IPv4 and IPv6 addresses. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** A URL was refused because it would reach a non-public address. */
export class SsrfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SsrfError";
  }
}

/**
 * Why an address must not be fetched, or `null` when it is a public address.
 *
 * @example
 * ```ts
 * classifyAddress("169.254.169.254"); // "link-local (cloud metadata endpoint)"
 * classifyAddress("::ffff:127.0.0.1"); // "loopback (IPv4-mapped IPv6)"
 * classifyAddress("93.184.216.34"); // null
 * ```
 */
export function classifyAddress(address: string): string | null {
  const v4 = parseIPv4(address);
  if (v4) return classifyIPv4(v4);
  const v6 = parseIPv6(address);
  if (!v6) return "not a valid IP address";
  return classifyIPv6(v6);
}

function classifyIPv4([a, b, c, d]: number[]): string | null {
  if (a === 0) return a + b + c + d === 0 ? "unspecified (0.0.0.0)" : "this-network (0.0.0.0/8)";
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) {
    return "private (RFC 1918)";
  }
  if (a === 169 && b === 254) {
    return c === 169 && d === 254 ? "link-local (cloud metadata endpoint)" : "link-local";
  }
  if (a === 100 && b >= 64 && b <= 127) return "carrier-grade NAT (100.64.0.0/10)";
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return "reserved (192.0.0.0/24, 192.0.2.0/24)";
  if (a === 198 && (b === 18 || b === 19)) return "benchmarking (198.18.0.0/15)";
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) {
    return "documentation range";
  }
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return a === 255 && b === 255 && c === 255 && d === 255 ? "broadcast" : "reserved";
  return null;
}

function classifyIPv6(g: number[]): string | null {
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return "unspecified (::)";
  if (zeroUpTo(7) && g[7] === 1) return "loopback";
  const embedded = (label: string) => {
    const reason = classifyIPv4([g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255]);
    return reason ? `${reason} (${label})` : null;
  };
  if (zeroUpTo(5) && g[5] === 0xffff) return embedded("IPv4-mapped IPv6");
  if (zeroUpTo(6)) return embedded("IPv4-compatible IPv6");
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return embedded("NAT64");
  }
  if (g[0] === 0x2002) {
    const reason = classifyIPv4([g[1] >> 8, g[1] & 255, g[2] >> 8, g[2] & 255]);
    if (reason) return `${reason} (6to4)`;
  }
  if ((g[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0] & 0xffc0) === 0xfec0) return "site-local";
  if ((g[0] & 0xfe00) === 0xfc00) return "unique-local (fc00::/7)";
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "documentation range";
  return null;
}

/** Parses dotted-quad IPv4; null for anything else. */
function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const nums = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return nums.every((n) => n >= 0 && n <= 255) ? nums : null;
}

/** Parses IPv6 (with `::`, an IPv4 tail, brackets or a zone id) into eight 16-bit groups. */
function parseIPv6(text: string): number[] | null {
  let s = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "").toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const v4 = parseIPv4(tail[1]);
    if (!v4) return null;
    s = s.slice(0, -tail[1].length) +
      `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (h: string) => (h === "" ? [] : h.split(":"));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!groups.every((x) => /^[0-9a-f]{1,4}$/.test(x))) return null;
  return groups.map((x) => parseInt(x, 16));
}

/** True when the text is an IPv4 or IPv6 literal. */
export function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}

/** Resolves with Deno.resolveDns, A and AAAA records together. */
export async function resolveHost(hostname: string): Promise<string[]> {
  const settled = await Promise.allSettled([
    Deno.resolveDns(hostname, "A"),
    Deno.resolveDns(hostname, "AAAA"),
  ]);
  const addresses = settled.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
  if (addresses.length === 0) {
    const reason = settled.find((r) => r.status === "rejected") as PromiseRejectedResult;
    throw new Error(
      `Cannot resolve ${hostname}: ${(reason?.reason as Error)?.message ?? "no addresses"}`,
    );
  }
  return addresses;
}

/** Options for {@link checkUrlTarget}. */
export interface TargetCheckOptions {
  /** Resolves host names; default {@link resolveHost}. */
  resolve?: Resolver;
  /** Host names exempt from the address check (a test seam; never set from user config). */
  trustedHosts?: readonly string[];
}

/**
 * Resolves the URL's host and checks every address. Returns the addresses, to connect to one of
 * them directly; throws SsrfError naming the host and why when any address is not public.
 */
export async function checkUrlTarget(
  url: URL,
  options: TargetCheckOptions = {},
): Promise<string[]> {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) {
    throw new SsrfError(`Refusing to fetch ${url.origin}: ${host} is a loopback name.`);
  }
  const addresses = isIpLiteral(host) ? [host] : await (options.resolve ?? resolveHost)(host);
  if (options.trustedHosts?.includes(host)) return addresses;
  for (const address of addresses) {
    const reason = classifyAddress(address);
    if (reason) {
      throw new SsrfError(
        `Refusing to fetch ${url.origin}: ${host} resolves to ${address}, a ${reason} address. ` +
          "web_fetch only reaches public addresses (tools.web_fetch.allow_private changes this).",
      );
    }
  }
  return addresses;
}
