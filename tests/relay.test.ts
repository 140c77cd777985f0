/**
 * Reading a reply's relay (lib/replies/relay.ts) on each hot store: what a reader on the instance
 * that writes the reply costs, and when it asks about a silent relay; on Redis, how often the
 * writer appends with and without a reader on another instance.
 */
import type { UIMessageChunk } from "ai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { readRelay, RELAY_DURABLE_MS, RelayWriter } from "@/lib/replies/relay";
import type { HotStore } from "@/lib/hot/hot-store";
import { RedisHotStore } from "@/lib/hot/redis-hot-store";
import { createTcpRedisClient } from "@/lib/hot/redis-requester";
import { describeOnEachHotStore } from "./support/hot-stores";
import { createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";
import { TEST_REDIS_URL } from "./support/services";

const TTL = 600;

/** The store, with a count of the calls to one of its methods made through it. */
function countingCalls(hot: HotStore, method: "readRelay" | "appendRelay"): { hot: HotStore; calls: () => number } {
  let calls = 0;
  const counted = new Proxy(hot, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (property !== method) return value.bind(target);
      return (...args: unknown[]) => {
        calls += 1;
        return value.apply(target, args);
      };
    },
  });
  return { hot: counted, calls: () => calls };
}

const delta = (text: string): UIMessageChunk => ({ type: "text-delta", id: "t1", delta: text });

describeOnEachHotStore("readRelay", (newStore) => {
  it("hands a reader on the writer's instance its first token without reading the relay", async () => {
    const store = newStore();
    const { hot, calls: reads } = countingCalls(store, "readRelay");
    const replyId = `r_${uniqueSuffix()}`;
    const batches = readRelay(hot, replyId);
    const firstBatch = batches.next();
    // The reader waits before the writer has anything, as it does for a reply just queued.
    await new Promise((resolve) => setTimeout(resolve, 20));

    const writer = new RelayWriter(hot, replyId, TTL);
    writer.write({ type: "text-start", id: "t1" });
    writer.write(delta("Hello"));
    const { value } = await firstBatch;
    expect(value?.map((entry: string) => JSON.parse(entry))).toEqual([{ type: "text-start", id: "t1" }, delta("Hello")]);
    expect(reads()).toBe(0);

    writer.write({ type: "finish" });
    await writer.close();
    const rest: string[] = [];
    for await (const batch of batches) rest.push(...batch);
    expect(rest.map((entry) => JSON.parse(entry))).toEqual([{ type: "finish" }]);
  });

  it("asks about a relay only once it has been silent, not between batches", async () => {
    const store = newStore();
    const replyId = `r_${uniqueSuffix()}`;
    const idleChecks: number[] = [];
    const batches = readRelay(store, replyId, {
      onIdle: async (offset) => {
        idleChecks.push(offset);
        return [{ type: "data-queue", data: { position: 1, etaSeconds: 1 }, transient: true }];
      },
    });
    const writer = new RelayWriter(store, replyId, TTL);

    // Silent from the start: after a moment the reader is told where the reply stands.
    const silent = await batches.next();
    expect(JSON.parse(silent.value![0])).toMatchObject({ type: "data-queue" });
    expect(idleChecks).toEqual([0]);

    // Streaming: each batch is written once the one before was read, and nothing is asked.
    writer.write({ type: "text-start", id: "t1" });
    for (const word of ["one", "two", "three"]) {
      writer.write(delta(word));
      await writer.flush();
      const { value } = await batches.next();
      expect(value?.map((entry: string) => JSON.parse(entry))).toContainEqual(delta(word));
    }
    expect(idleChecks).toEqual([0]);

    writer.write({ type: "finish" });
    await writer.close();
    const { value: ending } = await batches.next();
    expect(ending?.map((entry: string) => JSON.parse(entry))).toEqual([{ type: "finish" }]);
    expect((await batches.next()).done).toBe(true);
  });

  it("reads a finished relay from an offset, with nothing to ask about", async () => {
    const store = newStore();
    const replyId = `r_${uniqueSuffix()}`;
    const writer = new RelayWriter(store, replyId, TTL);
    for (const chunk of [{ type: "text-start", id: "t1" } as const, delta("a"), delta("b")]) {
      writer.write(chunk);
      await writer.flush();
    }
    writer.write({ type: "finish" });
    await writer.close();

    const idleChecks: number[] = [];
    const read: UIMessageChunk[] = [];
    const batches = readRelay(store, replyId, { fromOffset: 1, onIdle: async (offset) => (idleChecks.push(offset), []) });
    for await (const batch of batches) read.push(...batch.map((entry) => JSON.parse(entry)));
    expect(read).toEqual([delta("a"), delta("b"), { type: "finish" }]);
    expect(idleChecks).toEqual([]);
  });

  it("starts a read from past the relay's end at its end, once the relay has not reached it for a while", async () => {
    const store = newStore();
    const replyId = `r_${uniqueSuffix()}`;
    const writer = new RelayWriter(store, replyId, TTL);
    writer.write({ type: "text-start", id: "t1" });
    writer.write(delta("so far"));
    await writer.close();

    const idleAt: number[] = [];
    const batches = readRelay(store, replyId, { fromOffset: 1_000_000, onIdle: async (offset) => (idleAt.push(offset), "settled") });
    const read: string[] = [];
    for await (const batch of batches) read.push(...batch);
    expect({ read, idleAt }).toEqual({ read: [], idleAt: [2] });
  });

  it("ends a read past a settled reply's end instead of waiting for chunks that never come", async () => {
    const store = newStore();
    const replyId = `r_${uniqueSuffix()}`;
    const writer = new RelayWriter(store, replyId, TTL);
    writer.write({ type: "text-start", id: "t1" });
    writer.write({ type: "finish" });
    await writer.close();

    // Where a reader that already had the end would stand, told that the reply has ended.
    const read: string[] = [];
    for await (const batch of readRelay(store, replyId, { fromOffset: 2, onIdle: async () => "settled" })) read.push(...batch);
    expect(read).toEqual([]);
  });
});

describeOnEachHotStore("RelayWriter", (newStore) => {
  it("batches a fast stream by time: the first text at once, the rest in a few appends, nothing lost", async () => {
    const store = newStore();
    const replyId = `r_${uniqueSuffix()}`;
    const { hot: counted, calls: appends } = countingCalls(store, "appendRelay");
    const writer = new RelayWriter(counted, replyId, TTL, { batchMs: 100 });
    writer.write({ type: "text-start", id: "t1" });
    writer.write(delta("first"));
    // The first text went out at once, with what came before it.
    await expect.poll(appends).toBe(1);
    // Fifty tokens 2 ms apart (longer on a busy machine): one append per 100 ms they take, not fifty.
    const started = performance.now();
    for (let i = 0; i < 50; i += 1) {
      writer.write(delta(` ${i}`));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    writer.write({ type: "finish" });
    await writer.close();
    const streamedMs = performance.now() - started;
    expect(appends()).toBeLessThanOrEqual(2 + Math.ceil(streamedMs / 100));
    const chunks = (await store.readRelay(replyId, 0)).map((entry) => JSON.parse(entry) as UIMessageChunk);
    const text = chunks.map((chunk) => (chunk.type === "text-delta" ? chunk.delta : "")).join("");
    expect(text).toBe(`first${Array.from({ length: 50 }, (_, i) => ` ${i}`).join("")}`);
    expect(chunks.at(-1)).toEqual({ type: "finish" });
  });

  it("hands each append's reading of the watched value to onWatched, so a stop needs no read of its own", async () => {
    const store = newStore();
    const replyId = `r_${uniqueSuffix()}`;
    const flag = `stop-${replyId}`;
    const watched: (string | null)[] = [];
    const writer = new RelayWriter(store, replyId, TTL, { watch: flag, onWatched: (value) => watched.push(value) });
    writer.write(delta("a"));
    await writer.flush();
    await store.setValue(flag, "7", TTL);
    writer.write(delta("b"));
    await writer.flush();
    expect(watched).toEqual([null, "7"]);
    expect(writer.watchedAt).toBeGreaterThan(0);
  });
});

describe("RelayWriter on Redis, read on the writer's instance and on another", () => {
  const scratch = createScratchRedisPrefix();
  const opened: HotStore[] = [];
  /** An instance's hot store: stores made with the same `prefix` share the relays. */
  const instance = (prefix: string) => {
    const { client, close } = createTcpRedisClient(TEST_REDIS_URL);
    const store = new RedisHotStore({ client, driver: "redis", prefix, close });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  afterAll(scratch.clear);

  /** Writes `count` text deltas 50 ms apart (longer on a busy machine). */
  async function stream(writer: RelayWriter, from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i += 1) {
      writer.write(delta(` ${i}`));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const textOf = (entries: string[]) =>
    entries.map((entry) => JSON.parse(entry) as UIMessageChunk).map((chunk) => (chunk.type === "text-delta" ? chunk.delta : "")).join("");
  const fullText = (count: number) => `first${Array.from({ length: count }, (_, i) => ` ${i}`).join("")}`;

  it("appends a reply nobody elsewhere reads every RELAY_DURABLE_MS, while a reader on its instance gets batch after batch", async () => {
    const store = instance(`${scratch.prefix}${uniqueSuffix()}:`);
    const replyId = `r_${uniqueSuffix()}`;
    const { hot: counted, calls: appends } = countingCalls(store, "appendRelay");
    const received: string[][] = [];
    const reading = (async () => {
      for await (const batch of readRelay(store, replyId)) received.push(batch);
    })();
    const writer = new RelayWriter(counted, replyId, TTL);
    writer.write({ type: "text-start", id: "t1" });
    writer.write(delta("first"));
    const started = performance.now();
    await stream(writer, 0, 40);
    writer.write({ type: "finish" });
    await writer.close();
    const streamedMs = performance.now() - started;
    await reading;
    // The first text, one append per RELAY_DURABLE_MS of streaming, and the ending: not one per 100 ms.
    expect(appends()).toBeLessThanOrEqual(2 + Math.ceil(streamedMs / RELAY_DURABLE_MS));
    // The reader here got the text in more steps than there were appends: handed it in process.
    expect(received.length).toBeGreaterThan(appends());
    expect(textOf(received.flat())).toBe(fullText(40));
    expect(textOf(await store.readRelay(replyId, 0))).toBe(fullText(40));
  });

  it("gives a reader joining from another instance mid-reply the whole text, then the rest as it streams", async () => {
    const prefix = `${scratch.prefix}${uniqueSuffix()}:`;
    const [writing, elsewhere] = [instance(prefix), instance(prefix)];
    const replyId = `r_${uniqueSuffix()}`;
    const { hot: counted, calls: appends } = countingCalls(writing, "appendRelay");
    const writer = new RelayWriter(counted, replyId, TTL);
    writer.write({ type: "text-start", id: "t1" });
    writer.write(delta("first"));
    await stream(writer, 0, 20);

    // Joins a second into the reply, from the start, on an instance that never wrote it.
    let closed = false;
    const received: { entries: string[]; beforeClose: boolean }[] = [];
    const reading = (async () => {
      for await (const entries of readRelay(elsewhere, replyId)) received.push({ entries, beforeClose: !closed });
    })();
    const appendsBeforeJoin = appends();
    await stream(writer, 20, 40);
    writer.write({ type: "finish" });
    await writer.close();
    closed = true;
    await reading;

    expect(textOf(received.flatMap(({ entries }) => entries))).toBe(fullText(60));
    // Live, not only at the end: text reached it while the reply still streamed...
    expect(received.filter(({ beforeClose, entries }) => beforeClose && textOf(entries).length > 0).length).toBeGreaterThan(1);
    // ...because the writer, told of a reader elsewhere, appended batch after batch from then on.
    expect(appends() - appendsBeforeJoin).toBeGreaterThan(5);
  });

  it("resumes a reader on another instance from an offset the writer's instance handed out ahead of the hot store, without repeating text", async () => {
    const prefix = `${scratch.prefix}${uniqueSuffix()}:`;
    const [writing, elsewhere] = [instance(prefix), instance(prefix)];
    const replyId = `r_${uniqueSuffix()}`;
    const writer = new RelayWriter(writing, replyId, TTL);
    // A reader on the writer's instance, cut off half a second into the reply: it was handed more
    // than the hot store holds, which is appended only every RELAY_DURABLE_MS with nobody elsewhere.
    const seenHere: string[] = [];
    const cut = new AbortController();
    const readingHere = (async () => {
      for await (const batch of readRelay(writing, replyId, { signal: cut.signal })) seenHere.push(...batch);
    })();
    writer.write({ type: "text-start", id: "t1" });
    writer.write(delta("first"));
    await stream(writer, 0, 10);
    cut.abort();
    await stream(writer, 10, 1);
    await readingHere;
    const offset = seenHere.length;
    expect(await elsewhere.relayLength(replyId)).toBeLessThan(offset);

    // It comes back through another instance with what it has: it gets the rest, once.
    const resumed: string[] = [];
    const readingElsewhere = (async () => {
      for await (const batch of readRelay(elsewhere, replyId, { fromOffset: offset })) resumed.push(...batch);
    })();
    await stream(writer, 11, 20);
    writer.write({ type: "finish" });
    await writer.close();
    await readingElsewhere;
    expect(textOf(seenHere) + textOf(resumed)).toBe(fullText(31));
  });
});
