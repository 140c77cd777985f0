import { describe, expect, it } from "vitest";
import { parseConfig, type ClientIpSource } from "@/lib/config";
import { UNKNOWN_CLIENT_IP, clientIpFrom, ipBucket } from "@/lib/limits/client-ip";
import { SOCKET_ADDRESS_HEADER } from "@/lib/limits/socket-address.mts";

const behindOneProxy: ClientIpSource = { from: "x-forwarded-for", trustedHops: 1 };
const behindTwoProxies: ClientIpSource = { from: "x-forwarded-for", trustedHops: 2 };

function headers(values: Record<string, string>): Headers {
  return new Headers(values);
}

describe("client IP", () => {
  it("takes the entry the trusted proxy appended, so rotating the leftmost X-Forwarded-For changes nothing", () => {
    expect(clientIpFrom(headers({ "x-forwarded-for": "198.51.100.7" }), behindOneProxy)).toBe("198.51.100.7");
    expect(clientIpFrom(headers({ "x-forwarded-for": "1.1.1.1, 198.51.100.7" }), behindOneProxy)).toBe("198.51.100.7");
    expect(clientIpFrom(headers({ "x-forwarded-for": "2.2.2.2,3.3.3.3 , 198.51.100.7" }), behindOneProxy)).toBe("198.51.100.7");
  });

  it("counts N hops from the right, and gives up when fewer proxies wrote than trusted", () => {
    expect(clientIpFrom(headers({ "x-forwarded-for": "9.9.9.9, 198.51.100.7, 10.0.0.2" }), behindTwoProxies)).toBe("198.51.100.7");
    expect(clientIpFrom(headers({ "x-forwarded-for": "198.51.100.7" }), behindTwoProxies)).toBe(UNKNOWN_CLIENT_IP);
    expect(clientIpFrom(headers({}), behindOneProxy)).toBe(UNKNOWN_CLIENT_IP);
  });

  it("reads several X-Forwarded-For lines in order", () => {
    const joined = new Headers();
    joined.append("x-forwarded-for", "6.6.6.6");
    joined.append("x-forwarded-for", "198.51.100.7");
    expect(clientIpFrom(joined, behindOneProxy)).toBe("198.51.100.7");
  });

  it("without a trusted proxy, counts the connection's address the server wrote, and no forwarding header", () => {
    const spoofed = headers({ "x-forwarded-for": "198.51.100.7", "x-real-ip": "198.51.100.8", [SOCKET_ADDRESS_HEADER]: "::ffff:203.0.113.9" });
    expect(clientIpFrom(spoofed, { from: "socket" })).toBe("203.0.113.9");
    // A server that writes no socket address (not started by `npm start`): one shared bucket.
    expect(clientIpFrom(headers({ "x-forwarded-for": "198.51.100.7" }), { from: "socket" })).toBe(UNKNOWN_CLIENT_IP);
  });

  it("uses X-Real-IP on Vercel, whose edge sets it", () => {
    const request = headers({ "x-real-ip": "198.51.100.7", "x-forwarded-for": "1.1.1.1" });
    expect(clientIpFrom(request, { from: "x-real-ip" })).toBe("198.51.100.7");
    expect(clientIpFrom(headers({}), { from: "x-real-ip" })).toBe(UNKNOWN_CLIENT_IP);
  });

  it("turns what is not an address into the unknown bucket", () => {
    expect(clientIpFrom(headers({ "x-forwarded-for": "1.1.1.1, not-an-ip" }), behindOneProxy)).toBe(UNKNOWN_CLIENT_IP);
    expect(clientIpFrom(headers({ "x-forwarded-for": "1.1.1.1, " }), behindOneProxy)).toBe(UNKNOWN_CLIENT_IP);
    expect(ipBucket("unknown")).toBe(UNKNOWN_CLIENT_IP);
  });

  it("counts IPv6 clients per /64, so addresses from one subscriber's block share a bucket", () => {
    expect(ipBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:0DB8:0001:0002:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(ipBucket("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(ipBucket("::1")).toBe("0:0:0:0::/64");
    expect(ipBucket("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  });

  it("reads IPv4-mapped IPv6 as IPv4, and drops ports", () => {
    expect(ipBucket("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(ipBucket("198.51.100.7:5678")).toBe("198.51.100.7");
    expect(ipBucket("[2001:db8:1:2::9]:443")).toBe("2001:db8:1:2::/64");
    expect(ipBucket(" 198.51.100.7 ")).toBe("198.51.100.7");
  });

  it("takes its source from the configuration: none by default, hops from TRUSTED_PROXY_HOPS, X-Real-IP on Vercel", () => {
    expect(parseConfig({}).limits.clientIp).toEqual({ from: "socket" });
    expect(parseConfig({ TRUSTED_PROXY_HOPS: "0" }).limits.clientIp).toEqual({ from: "socket" });
    expect(parseConfig({ TRUSTED_PROXY_HOPS: "2" }).limits.clientIp).toEqual({ from: "x-forwarded-for", trustedHops: 2 });
    // Vercel refuses embedded drivers, hence the others.
    const vercel = {
      VERCEL: "1",
      DATABASE_URL: "postgresql://h/db",
      REDIS_URL: "redis://h:6379",
      INNGEST_DEV: "1",
      BLOB_READ_WRITE_TOKEN: "vercel_blob_rw_store_secret",
      TRUSTED_PROXY_HOPS: "1",
    };
    expect(parseConfig(vercel).limits.clientIp).toEqual({ from: "x-real-ip" });
    expect(() => parseConfig({ TRUSTED_PROXY_HOPS: "-1" })).toThrow(/TRUSTED_PROXY_HOPS/);
  });
});
