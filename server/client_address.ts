/**
 * Who is asking: the client address used for logs and the failed-auth throttle. Behind a reverse
 * proxy every request comes from the proxy, so `X-Forwarded-For` is believed, but only from the
 * addresses in `api_server.trusted_proxies` (anyone else could write any address into it).
 * @module
 */

/** An address range: an IPv4 or IPv6 address and a prefix length. */
export interface AddressRange {
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  bits: number;
}

/**
 * Parses an IPv4 or IPv6 address (brackets and a `:port` allowed, an IPv4-mapped IPv6 address is
 * read as IPv4) into bytes; null when it is not an address.
 */
export function parseAddress(text: string): Uint8Array | null {
  let value = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) value = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(":"));
  value = value.replace(/%.*$/, ""); // zone id
  const v4 = parseIpv4(value);
  if (v4) return v4;
  const v6 = parseIpv6(value);
  if (!v6) return null;
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket.
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return v6.slice(12);
  }
  return v6;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]) || Number(parts[i]) > 255) return null;
    bytes[i] = Number(parts[i]);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(":")) return null;
  let head = text;
  let tail4: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    tail4 = parseIpv4(text.slice(lastColon + 1));
    if (!tail4) return null;
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => s === "" ? [] : s.split(":");
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? left.length !== 8 : missing < 1) return null;
  const all = [...left, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...right];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-f]{1,4}$/i.test(all[i])) return null;
    const n = parseInt(all[i], 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 255;
  }
  if (tail4) bytes.set(tail4, 12);
  return bytes;
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8` or a single address (a full-length range).
 *
 * @throws Error naming the entry when it is not an address or range.
 */
export function parseRange(text: string): AddressRange {
  const [address, bits, extra] = text.trim().split("/");
  const bytes = parseAddress(address);
  const max = bytes ? bytes.length * 8 : 0;
  const n = bits === undefined ? max : Number(bits);
  if (!bytes || extra !== undefined || !Number.isInteger(n) || n < 0 || n > max) {
    throw new Error(
      `"${text}" is not an address or a CIDR range (such as 10.0.0.1 or 10.0.0.0/8)`,
    );
  }
  return { bytes, bits: n };
}

/** Whether `address` (bytes) lies in `range`. */
export function inRange(address: Uint8Array, range: AddressRange): boolean {
  if (address.length !== range.bytes.length) return false;
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i] & mask) !== (range.bytes[i] & mask)) return false;
  }
  return true;
}

/**
 * Resolves the client address. When the peer is a trusted proxy, `X-Forwarded-For` is read from
 * the right (the entry the nearest proxy added) and the first address that is not itself a
 * trusted proxy is the client; otherwise the peer is the client.
 *
 * @example
 * ```ts
 * const trusted = ["127.0.0.1"].map(parseRange);
 * clientAddress("127.0.0.1", "203.0.113.9, 127.0.0.1", trusted); // "203.0.113.9"
 * ```
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | null,
  trusted: readonly AddressRange[],
): string {
  if (trusted.length === 0 || forwardedFor === null) return peer;
  const isTrusted = (address: string) => {
    const bytes = parseAddress(address);
    return bytes !== null && trusted.some((range) => inRange(bytes, range));
  };
  if (!isTrusted(peer)) return peer;
  const hops = forwardedFor.split(",").map((hop) => hop.trim()).filter((hop) => hop !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    const bytes = parseAddress(hops[i]);
    // Garbage in the header ("unknown", a name) ends the chain we can believe.
    if (bytes === null) return peer;
    if (!isTrusted(hops[i])) return formatAddress(bytes);
  }
  return hops.length > 0 ? formatAddress(parseAddress(hops[0])!) : peer;
}

/** Formats address bytes the usual way (IPv6 with `::` for the longest zero run). */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1, bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/**
 * The network an address belongs to, for throttling sources that rotate addresses: the /24 of
 * an IPv4 address, the /64 of an IPv6 one, and one network for all of loopback (127.0.0.0/8 and
 * ::1 are all this machine). Anything that is not an address is its own network.
 */
export function networkOf(address: string): string {
  const bytes = parseAddress(address);
  if (!bytes) return address;
  if (bytes.length === 4) {
    return bytes[0] === 127 ? "loopback" : `${bytes[0]}.${bytes[1]}.${bytes[2]}.0/24`;
  }
  if (bytes.every((b, i) => i === 15 ? b === 1 : b === 0)) return "loopback";
  const prefix = new Uint8Array(16);
  prefix.set(bytes.slice(0, 8));
  return `${formatAddress(prefix)}/64`;
}
