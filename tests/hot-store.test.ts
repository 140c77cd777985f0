import { createHash, randomUUID } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import IORedis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hotStoreContract } from "@/lib/hot/hot-store.contract";
import { MemoryHotStore } from "@/lib/hot/memory-hot-store";
import { RELAY_WATCH_MS } from "@/lib/hot/hot-store";
import { COUNTER_BATCH_MS, RedisHotStore } from "@/lib/hot/redis-hot-store";
import { IORedisRequester, createTcpRedisClient, shebangForRedis, type TcpRedisClient } from "@/lib/hot/redis-requester";
import { deleteRedisKeys } from "./support/scratch";
import { TEST_REDIS_URL } from "./support/services";

/** Every key this file writes starts with this, so it can remove them all afterwards. */
const RUN_PREFIX = `stampede-test:${randomUUID()}:`;

function deleteKeys(prefix: string): Promise<void> {
  return deleteRedisKeys(TEST_REDIS_URL, prefix);
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** A script no earlier run has loaded, so Redis's script cache cannot make a test pass. */
function uniqueScript(shebang: string, body: string): string {
  return `${shebang}\n-- ${randomUUID()}\n${body}`;
}

/**
 * A client configured the way a REST client can be, unlike `new Redis(requester)`: automatic
 * deserialization off and auto-pipelining on. Its HTTP requests are answered by the TCP
 * requester instead, so RedisHotStore can be shown not to depend on the client's options.
 */
function restConfiguredClient(connection: IORedis): Redis {
  const client = new Redis({
    url: "http://rest.invalid",
    token: "unused",
    automaticDeserialization: false,
    enableAutoPipelining: true,
    enableTelemetry: false,
  });
  const requester = new IORedisRequester(connection);
  client.use((req) => requester.request(req));
  return client;
}

/**
 * The relays a round trip asks the length of: by LLEN, or by the shared poll's script (its keys
 * alternate a relay and its read mark; an append's script names the relay too, but not first
 * beside a read mark).
 */
function relaysAsked(commands: unknown[][]): string[] {
  return commands.flatMap(([name, ...args]) => {
    const command = String(name).toLowerCase();
    if (command === "llen") return [String(args[0])];
    if (command !== "evalsha" && command !== "eval") return [];
    const keys = args.slice(2, 2 + Number(args[1])).map(String);
    return keys[1]?.includes(":relay-read:") ? keys.filter((_, i) => i % 2 === 0) : [];
  });
}

let storesMade = 0;

hotStoreContract("MemoryHotStore", async () => new MemoryHotStore());

// relayPollMs is long so the contract's wake-up test can only pass through the in-process wake.
const TCP_PREFIX = `${RUN_PREFIX}tcp:`;
hotStoreContract(
  "RedisHotStore over TCP",
  async () => {
    const { client, close } = createTcpRedisClient(TEST_REDIS_URL);
    return new RedisHotStore({ client, driver: "redis", prefix: `${TCP_PREFIX}${++storesMade}:`, relayPollMs: 60_000, close });
  },
  () => deleteKeys(TCP_PREFIX),
);

const REST_CONFIGURED_PREFIX = `${RUN_PREFIX}rest-configured:`;
hotStoreContract(
  "RedisHotStore with a REST-style client (no automatic deserialization, auto-pipelining)",
  async () => {
    const connection = new IORedis(TEST_REDIS_URL);
    return new RedisHotStore({
      client: restConfiguredClient(connection),
      driver: "upstash",
      prefix: `${REST_CONFIGURED_PREFIX}${++storesMade}:`,
      relayPollMs: 60_000,
      close: async () => {
        await connection.quit();
      },
    });
  },
  () => deleteKeys(REST_CONFIGURED_PREFIX),
);

describe("RedisHotStore on Redis", () => {
  const prefix = `${RUN_PREFIX}redis-only:`;
  let tcp: TcpRedisClient;

  beforeAll(() => {
    tcp = createTcpRedisClient(TEST_REDIS_URL);
  });

  afterAll(async () => {
    await deleteKeys(prefix);
    await tcp.close();
  });

  it("notices another instance's append by its shared poll, within relayPollMs", async () => {
    const reader = new RedisHotStore({ client: tcp.client, driver: "redis", prefix, relayPollMs: 50 });
    const writer = new RedisHotStore({ client: tcp.client, driver: "redis", prefix, relayPollMs: 50 });
    const started = Date.now();
    const woken = reader.waitForRelay("r1", 0, 10_000).then(() => Date.now() - started);
    setTimeout(() => void writer.appendRelay("r1", ["from another instance"], { writer: "w", seq: 0, ttlSeconds: 60 }), 200);
    // Not by the 10 s timeout: by the poll, a tick or two after the append.
    expect(await woken).toBeLessThan(5_000);
    expect(await reader.readRelay("r1", 0)).toEqual(["from another instance"]);
    await reader.close();
  });

  it("polls every relay waited on in one round trip per tick, however many readers wait", async () => {
    const pollMs = 50;
    const relayKeys = Array.from({ length: 100 }, (_, i) => `${prefix}many:relay:r${i}`);
    // The store's client, through a requester that notes the relays each round trip asks about.
    const asked: string[][] = [];
    const requester = new IORedisRequester(tcp.connection);
    const client = new Redis({
      request: (req) => {
        const commands = (req.path ? req.body : [req.body]) as unknown[][];
        const lengths = relaysAsked(commands);
        if (lengths.length > 0) asked.push(lengths);
        return requester.request(req);
      },
    });
    const store = new RedisHotStore({ client, driver: "redis", prefix: `${prefix}many:`, relayPollMs: pollMs });
    const writer = new RedisHotStore({ client: tcp.client, driver: "redis", prefix: `${prefix}many:`, relayPollMs: pollMs });

    const started = performance.now();
    const waits = Array.from({ length: 300 }, (_, i) => store.waitForRelay(`r${i % 100}`, 0, 60_000));
    // The look when the waits begin, then at least three ticks.
    await expect.poll(() => asked.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const whileWaiting = asked.slice();
    const elapsed = performance.now() - started;
    await Promise.all(Array.from({ length: 100 }, (_, i) => writer.appendRelay(`r${i}`, ["x"], { writer: "w", seq: 0, ttlSeconds: 60 })));
    // Woken by the poll: their timeouts are longer than the test's.
    await Promise.all(waits);

    // Each round trip asked about every relay once, for all 300 readers...
    for (const relays of whileWaiting) expect([...relays].sort()).toEqual([...relayKeys].sort());
    // ...and there was one per tick at most (timers never fire early), besides the first look.
    expect(whileWaiting.length).toBeLessThanOrEqual(Math.floor(elapsed / pollMs) + 2);
    await store.close();
  });

  it("sends no polls or reads for a relay its own writer is streaming, and hands its readers every append", async () => {
    const pollMs = 20;
    let relayReads = 0;
    const requester = new IORedisRequester(tcp.connection);
    const client = new Redis({
      request: (req) => {
        const commands = (req.path ? req.body : [req.body]) as unknown[][];
        relayReads += relaysAsked(commands).length + commands.filter(([name]) => String(name).toLowerCase() === "lrange").length;
        return requester.request(req);
      },
    });
    const store = new RedisHotStore({ client, driver: "redis", prefix: `${prefix}local:`, relayPollMs: pollMs });
    await store.appendRelay("r1", ["a"], { writer: "w", seq: 0, ttlSeconds: 60 });
    const reader = store.waitForRelay("r1", 1, 10_000);
    const otherReader = store.waitForRelay("r1", 1, 10_000);
    // Ten poll ticks pass with both readers waiting.
    await new Promise((resolve) => setTimeout(resolve, pollMs * 10));
    await store.appendRelay("r1", ["b", "c"], { writer: "w", seq: 1 });
    expect(await reader).toEqual(["b", "c"]);
    expect(await otherReader).toEqual(["b", "c"]);
    // A reader behind what the writer appended is handed them at once, with no read.
    expect(await store.waitForRelay("r1", 1, 10_000)).toEqual(["b", "c"]);
    expect(await store.waitForRelay("r1", 0, 10_000)).toEqual(["a", "b", "c"]);
    expect(relayReads).toBe(0);
    await store.close();
  });

  it("tells a writer when a reader on another instance waits on its relay, and when none does any more", async () => {
    const reader = new RedisHotStore({ client: tcp.client, driver: "redis", prefix: `${prefix}read-elsewhere:`, relayPollMs: 20 });
    const writer = new RedisHotStore({ client: tcp.client, driver: "redis", prefix: `${prefix}read-elsewhere:`, relayPollMs: 20 });
    expect((await writer.appendRelay("r1", ["a"], { writer: "w", seq: 0, ttlSeconds: 60 })).readElsewhere).toBe(false);
    const waiting = reader.waitForRelay("r1", 1, 60_000);
    let seq = 1;
    const append = async () => (await writer.appendRelay("r1", [`chunk ${seq}`], { writer: "w", seq: seq++ })).readElsewhere;
    await expect.poll(append, { timeout: 10_000, interval: 50 }).toBe(true);
    await waiting;
    // The reader has what it waited for and looks no more: its mark lapses.
    await expect.poll(append, { timeout: RELAY_WATCH_MS * 5, interval: 200 }).toBe(false);
    await reader.close();
    await writer.close();
  });

  it("shares a writer's batches with readers on its own instance only: one elsewhere sees them once appended", async () => {
    const writer = new RedisHotStore({ client: tcp.client, driver: "redis", prefix: `${prefix}shared:`, relayPollMs: 20 });
    const elsewhere = new RedisHotStore({ client: tcp.client, driver: "redis", prefix: `${prefix}shared:`, relayPollMs: 20 });
    await writer.appendRelay("r1", ["a"], { writer: "w", seq: 0, ttlSeconds: 60 });
    expect(writer.shareRelay("r1", ["b"], { writer: "w", seq: 1 })).toBe(true);
    expect(await writer.waitForRelay("r1", 1, 10_000)).toEqual(["b"]);
    expect(await elsewhere.readRelay("r1", 0)).toEqual(["a"]);
    expect(await elsewhere.relayLength("r1")).toBe(1);
    await writer.appendRelay("r1", ["b"], { writer: "w", seq: 1 });
    expect(await elsewhere.readRelay("r1", 0)).toEqual(["a", "b"]);
    await writer.close();
    await elsewhere.close();
  });

  it("polls a relay that stays unchanged less often, and still notices its next append", async () => {
    const pollMs = 20;
    const asked: number[] = [];
    const requester = new IORedisRequester(tcp.connection);
    const client = new Redis({
      request: (req) => {
        const commands = (req.path ? req.body : [req.body]) as unknown[][];
        if (relaysAsked(commands).length > 0) asked.push(performance.now());
        return requester.request(req);
      },
    });
    const reader = new RedisHotStore({ client, driver: "redis", prefix: `${prefix}idle:`, relayPollMs: pollMs });
    const writer = new RedisHotStore({ client: tcp.client, driver: "redis", prefix: `${prefix}idle:`, relayPollMs: pollMs });
    const woken = reader.waitForRelay("r1", 0, 60_000);
    // Idle after two seconds unchanged; then a second of polling is counted.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const from = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleTicks = asked.filter((at) => at >= from).length;
    // Every fourth tick of 20 ms at most (timers never fire early), not every tick.
    expect(idleTicks).toBeLessThanOrEqual(Math.ceil(1_000 / (pollMs * 4)) + 1);
    expect(idleTicks).toBeGreaterThan(0);
    await writer.appendRelay("r1", ["at last"], { writer: "w", seq: 0, ttlSeconds: 60 });
    await woken;
    expect(await reader.readRelay("r1", 0)).toEqual(["at last"]);
    await reader.close();
  });

  it("writes counter additions from many callers in one round trip, seen by other instances within a batch", async () => {
    const keyPrefix = `${prefix}batched:`;
    const roundTrips: unknown[][][] = [];
    const requester = new IORedisRequester(tcp.connection);
    const client = new Redis({
      request: (req) => {
        roundTrips.push((req.path ? req.body : [req.body]) as unknown[][]);
        return requester.request(req);
      },
    });
    const counting = new RedisHotStore({ client, driver: "redis", prefix: keyPrefix });
    const elsewhere = new RedisHotStore({ client: tcp.client, driver: "redis", prefix: keyPrefix });
    for (let i = 0; i < 100; i += 1) counting.addToCounter(i % 2 === 0 ? "even" : "odd", 1, 60);
    expect(roundTrips).toEqual([]);
    await expect
      .poll(() => elsewhere.getCounters(["even", "odd"]), { timeout: COUNTER_BATCH_MS * 5, interval: 50 })
      .toEqual([50, 50]);
    // One transaction: each counter's sum, and its TTL.
    expect(roundTrips).toHaveLength(1);
    expect(roundTrips[0].map(([name]) => String(name).toLowerCase())).toEqual(["incrby", "expire", "incrby", "expire"]);
    expect(await tcp.connection.ttl(`${keyPrefix}counter:even`)).toBeGreaterThan(0);
    // What is pending when the store closes is written, not lost.
    counting.addToCounter("even", 1);
    await counting.close();
    expect(await elsewhere.getCounters(["even"])).toEqual([51]);
  });

  it("writes the documented keys, each with a TTL where the port gives one", async () => {
    const keyPrefix = `${prefix}layout:`;
    const store = new RedisHotStore({ client: tcp.client, driver: "redis", prefix: keyPrefix });
    await store.putChat({ id: "c1", userId: "alice", title: "t", createdAt: 1, updatedAt: 2 }, 60);
    await store.putMessages("c1", [{ id: "m1", chatId: "c1", role: "user", parts: [], createdAt: 1 }], 60);
    await store.putUnflushed("c1", {}, 1, 60);
    await store.setCached("k", "v", 60);
    await store.appendRelay("r1", ["x"], { writer: "w", seq: 0, ttlSeconds: 60 });
    await store.setValue("v", "x", 60);
    await store.incrCounter("n", 1, 60);
    await store.joinLine("free", "r1", 1);
    await store.acquireLease("pool", "holder", { limit: 1, ttlMs: 60_000, score: 1 });
    await store.acquireLease("pool", "waiter", { limit: 1, ttlMs: 60_000, score: 2 });
    await store.takeCapacity("openai:model:key", { limit: 10, windowMs: 60_000 });

    const ttls: Record<string, "expires" | "persists"> = {};
    for (const key of (await tcp.connection.keys(`${keyPrefix}*`)).sort()) {
      ttls[key.slice(keyPrefix.length)] = (await tcp.connection.ttl(key)) > 0 ? "expires" : "persists";
    }
    expect(ttls).toEqual({
      "cache:k": "expires",
      "capacity:openai:model:key": "expires",
      "chat:c1": "expires",
      "counter:n": "expires",
      "line:free": "persists",
      "lease-holders:pool": "expires",
      "lease-waiters:pool": "expires",
      "lease-waiting:pool": "expires",
      "messages:c1": "expires",
      "relay:r1": "expires",
      "relay-applied:r1": "expires",
      "unflushed:clock": "persists",
      "unflushed:marks": "persists",
      "unflushed:versions": "persists",
      "user-chats:alice": "expires",
      "value:v": "expires",
    });
  });

  it("never shortens a user's chat index to fit a shorter-lived chat", async () => {
    const store = new RedisHotStore({ client: tcp.client, driver: "redis", prefix });
    await store.putChat({ id: "long", userId: "bob", title: "t", createdAt: 1, updatedAt: 1 }, 600);
    await store.putChat({ id: "short", userId: "bob", title: "t", createdAt: 1, updatedAt: 2 }, 5);
    expect(await tcp.connection.ttl(`${prefix}user-chats:bob`)).toBeGreaterThan(500);
  });
});

describe("IORedisRequester on a plain Redis", () => {
  const prefix = `${RUN_PREFIX}requester:`;
  const key = (name: string) => `${prefix}${name}`;
  let connection: IORedis;
  let requester: IORedisRequester;
  let client: Redis;

  beforeAll(() => {
    connection = new IORedis(TEST_REDIS_URL);
    requester = new IORedisRequester(connection);
    client = new Redis(requester);
  });

  afterAll(async () => {
    await deleteKeys(prefix);
    await connection.quit();
  });

  it("answers like Upstash's REST API: strings, numbers, null and nested arrays", async () => {
    expect(await requester.request({ body: ["set", key("s"), "v"] })).toEqual({ result: "OK" });
    expect(await requester.request({ body: ["get", key("s")] })).toEqual({ result: "v" });
    expect(await requester.request({ body: ["get", key("missing")] })).toEqual({ result: null });
    expect(await requester.request({ body: ["incrby", key("n"), 5] })).toEqual({ result: 5 });
    expect(await requester.request({ body: ["rpush", key("l"), "a", "b"] })).toEqual({ result: 2 });
    expect(await requester.request({ body: ["lrange", key("l"), 0, -1] })).toEqual({ result: ["a", "b"] });
    expect(await requester.request({ body: ["eval", "return {1, 'a', false, {2, 'b'}}", 0] })).toEqual({
      result: [1, "a", null, [2, "b"]],
    });
  });

  it("returns HGETALL as Redis's flat field/value array, not as ioredis's object", async () => {
    await requester.request({ body: ["hset", key("h"), "b", "1", "10", "x", "2", "y"] });
    expect(await requester.request({ body: ["hgetall", key("h")] })).toEqual({ result: ["b", "1", "10", "x", "2", "y"] });
    const [viaPipeline] = await requester.request({ path: ["pipeline"], body: [["hgetall", key("h")]] }) as unknown as { result: unknown }[];
    expect(viaPipeline.result).toEqual(["b", "1", "10", "x", "2", "y"]);
    expect(await client.hgetall(key("h"))).toEqual({ b: 1, "10": "x", "2": "y" });
  });

  it("returns sorted-set scores as strings, which the client parses", async () => {
    await client.zadd(key("z"), { score: 1.5, member: "m1" }, { score: 2, member: "m2" });
    expect(await requester.request({ body: ["zrange", key("z"), 0, -1, "withscores"] })).toEqual({
      result: ["m1", "1.5", "m2", "2"],
    });
    expect(await client.zrange(key("z"), 0, -1, { withScores: true })).toEqual(["m1", 1.5, "m2", 2]);
  });

  it("turns Redis errors into { error } and the client throws them", async () => {
    await client.set(key("plain"), "x");
    const response = await requester.request({ body: ["hset", key("plain"), "f", "v"] });
    expect(response.error).toMatch(/^WRONGTYPE/);
    await expect(client.hset(key("plain"), { f: "v" })).rejects.toThrow(/WRONGTYPE/);
  });

  it("runs pipelines and transactions with one response per command", async () => {
    const commands = [["set", key("p"), "v"], ["incr", key("p")], ["get", key("p")]];
    const expected = [{ result: "OK" }, { error: expect.stringMatching(/not an integer/) }, { result: "v" }];
    expect(await requester.request({ path: ["pipeline"], body: commands })).toEqual(expected);
    expect(await requester.request({ path: ["multi-exec"], body: commands })).toEqual(expected);
    expect(await client.multi().set(key("t"), "w").get(key("t")).exec()).toEqual(["OK", "w"]);
  });

  it("fails a transaction Redis refuses as a whole", async () => {
    await expect(
      requester.request({ path: ["multi-exec"], body: [["set", key("aborted"), "v"], ["get"]] }),
    ).rejects.toThrow(/EXECABORT/);
    expect(await connection.exists(key("aborted"))).toBe(0);
  });

  it("decodes like the REST client: stored text that parses as JSON comes back parsed", async () => {
    // Why RedisHotStore wraps free text in a JSON array: this path cannot turn that off.
    await client.set(key("looks-like-json"), "123");
    expect(await client.get(key("looks-like-json"))).toBe(123);
    await client.set(key("looks-like-json"), '{"a": 1}');
    expect(await client.get(key("looks-like-json"))).toEqual({ a: 1 });
  });

  it("rewrites shebangs Redis rejects, keeping what Redis knows", () => {
    expect(shebangForRedis("return 1")).toBe("return 1");
    expect(shebangForRedis("#!lua\nreturn 1")).toBe("#!lua\nreturn 1");
    expect(shebangForRedis("#!lua flags=no-writes\nreturn 1")).toBe("#!lua flags=no-writes\nreturn 1");
    expect(shebangForRedis("#!lua flags=allow-key-locking\nreturn 1")).toBe("\nreturn 1");
    expect(shebangForRedis("#!lua flags=no-writes,allow-key-locking\nreturn 1")).toBe("#!lua flags=no-writes\nreturn 1");
  });

  it("runs EVAL of a script whose shebang plain Redis rejects", async () => {
    const script = uniqueScript("#!lua flags=allow-key-locking", "return ARGV[1]");
    await expect(connection.eval(script, 0, "x")).rejects.toThrow(/Unexpected flag in script shebang/);
    expect(await client.eval(script, [], ["hello"])).toBe("hello");
  });

  it("keeps the flags Redis knows: a no-writes script still may not write", async () => {
    const script = uniqueScript("#!lua flags=no-writes,allow-key-locking", "return redis.call('SET', KEYS[1], 'x')");
    await expect(client.eval(script, [key("ro")], [])).rejects.toThrow(/Write commands are not allowed/);
  });

  it("runs EVALSHA by the original script's sha after SCRIPT LOAD", async () => {
    const script = uniqueScript("#!lua flags=allow-key-locking", "return ARGV[1]");
    expect(await client.scriptLoad(script)).toBe(sha1(script));
    expect(await client.evalsha(sha1(script), [], ["loaded"])).toBe("loaded");
    expect(await client.scriptExists(sha1(script))).toEqual([1]);
  });

  it("answers NOSCRIPT for a script it has not seen, then EVALSHA works once EVAL ran it", async () => {
    const script = uniqueScript("#!lua flags=allow-key-locking", "return ARGV[1]");
    await expect(client.evalsha(sha1(script), [], ["x"])).rejects.toThrow(/NOSCRIPT/);
    await client.eval(script, [], ["x"]);
    expect(await client.evalsha(sha1(script), [], ["again"])).toBe("again");
  });

  it("lets @upstash/ratelimit count exactly on a plain Redis", async () => {
    const ratelimit = new Ratelimit({
      redis: client,
      limiter: Ratelimit.slidingWindow(3, "30 s"),
      prefix: key("ratelimit"),
      ephemeralCache: false,
    });
    const results = await Promise.all(Array.from({ length: 8 }, () => ratelimit.limit("user-1")));
    expect(results.filter((result) => result.success)).toHaveLength(3);
    expect(results.every((result) => result.reason === undefined)).toBe(true);
  });
});
