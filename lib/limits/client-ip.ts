/**
 * The client IP that per-IP limits count against. A Next.js route handler sees no socket
 * address, only headers, and any header can be written by the client; so only what the server
 * itself or a trusted proxy wrote is believed, as the configuration says (config.limits.clientIp):
 *
 * - "x-real-ip" (VERCEL=1): Vercel's edge sets X-Real-IP to the address it saw and discards
 *   what the client sent.
 * - "x-forwarded-for" (TRUSTED_PROXY_HOPS=N): each proxy appends the address it received the
 *   request from, so the N-th entry from the right was written by the outermost trusted proxy.
 *   Everything left of it is the client's to invent and is ignored: rotating the leftmost value
 *   changes nothing.
 * - "socket" (the default, no trusted proxy): the address the connection came from, which
 *   `npm start`'s server (scripts/server.mts) writes into SOCKET_ADDRESS_HEADER over anything a
 *   client sent under that name. Each client is counted on its own, so no one can spend another's
 *   allowance. A server started otherwise (`next start` itself, `next dev`) writes no such header,
 *   and its requests share one "unknown" address, which is logged once.
 *
 * A header that should hold an address but does not also gives "unknown". IPv6 clients are
 * counted per /64, the block one subscriber usually gets, so cycling through it does not help.
 */
import { isIP } from "node:net";
import type { ClientIpSource } from "@/lib/config";
import { logger } from "@/lib/log";
import { SOCKET_ADDRESS_HEADER } from "./socket-address.mts";

export const UNKNOWN_CLIENT_IP = "unknown";

export function clientIpFrom(headers: Headers, source: ClientIpSource): string {
  switch (source.from) {
    case "x-real-ip":
      return ipBucket(headers.get("x-real-ip"));
    case "x-forwarded-for": {
      // Several X-Forwarded-For lines arrive joined by ", ", in order.
      const entries = (headers.get("x-forwarded-for") ?? "").split(",");
      return entries.length >= source.trustedHops
        ? ipBucket(entries[entries.length - source.trustedHops])
        : UNKNOWN_CLIENT_IP;
    }
    case "socket": {
      const address = headers.get(SOCKET_ADDRESS_HEADER);
      if (address === null) warnNoSocketAddress();
      return ipBucket(address);
    }
  }
}

let warnedNoSocketAddress = false;

/** Said once per process: every client now shares one allowance, which is what this source exists to prevent. */
function warnNoSocketAddress(): void {
  if (warnedNoSocketAddress) return;
  warnedNoSocketAddress = true;
  logger.warn(
    `requests carry no ${SOCKET_ADDRESS_HEADER}, so per-network limits count every client as one ` +
      "(harmless under `next dev` on your own machine). In production start the server with `npm start` " +
      "(scripts/server.mts), or set TRUSTED_PROXY_HOPS behind a proxy.",
  );
}

/** An address as limits count it: IPv4 as is, IPv6 as its /64, anything else "unknown". */
export function ipBucket(raw: string | null | undefined): string {
  const address = withoutPort(raw?.trim() ?? "");
  switch (isIP(address)) {
    case 4:
      return address;
    case 6: {
      const hextets = expandIPv6(address);
      const mappedIPv4 = hextets.slice(0, 5).every((hextet) => hextet === 0) && hextets[5] === 0xffff;
      if (mappedIPv4) return [hextets[6] >> 8, hextets[6] & 0xff, hextets[7] >> 8, hextets[7] & 0xff].join(".");
      return `${hextets.slice(0, 4).map((hextet) => hextet.toString(16)).join(":")}::/64`;
    }
    default:
      return UNKNOWN_CLIENT_IP;
  }
}

/** "[2001:db8::1]:443" and "203.0.113.7:5678" as some proxies write them, without the port. */
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1];
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  return ipv4WithPort ? ipv4WithPort[1] : address;
}

/** The eight 16-bit groups of a valid IPv6 address (zone dropped, "::" and a dotted tail expanded). */
function expandIPv6(address: string): number[] {
  const [withoutZone] = address.split("%");
  const toHextets = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head, tail] = withoutZone.split("::");
  const headHextets = toHextets(head);
  const tailHextets = tail === undefined ? [] : toHextets(tail);
  const zeros = new Array<number>(8 - headHextets.length - tailHextets.length).fill(0);
  return [...headHextets, ...zeros, ...tailHextets];
}
