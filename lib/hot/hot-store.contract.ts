/**
 * The behaviour every HotStore adapter must show. Test files call `hotStoreContract` once per
 * adapter; `make` must return a fresh, empty store each time (a new key prefix for Redis), since
 * the unflushed marks and stats are store-wide. A store that polls its relay (RedisHotStore)
 * should poll no more often than every few seconds here, so that the wake-up test shows the
 * append woke the waiter rather than a poll.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HotStore } from "./hot-store";
import type { ChatMeta, StoredMessage } from "@/lib/domain";

/** Longer than a 1 s TTL even with Redis's expiry precision and a busy machine. */
const PAST_ONE_SECOND_TTL_MS = 1_600;
const LONG_TTL = 600;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function chat(id: string, userId: string, updatedAt: number): ChatMeta {
  return { id, userId, title: `Chat ${id}`, createdAt: 1_000, updatedAt };
}

function message(chatId: string, id: string, createdAt: number, extra: Partial<StoredMessage> = {}): StoredMessage {
  return { id, chatId, role: "user", parts: [{ type: "text", text: `text of ${id}` }], createdAt, ...extra };
}

/** Resolves to how the race ended: the promise first, or the timer. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<"settled" | "timed out"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timed out">((resolve) => {
    timer = setTimeout(() => resolve("timed out"), ms);
  });
  return Promise.race([promise.then(() => "settled" as const), timeout]).finally(() => clearTimeout(timer));
}

export function hotStoreContract(name: string, make: () => Promise<HotStore>, cleanup?: () => Promise<void>): void {
  describe(`HotStore contract: ${name}`, () => {
    let store: HotStore;

    beforeEach(async () => {
      store = await make();
    });

    afterEach(async () => {
      await store.close();
    });

    if (cleanup) afterAll(cleanup);

    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe("chats", () => {
      it("round-trips a chat's metadata and answers null for an unknown chat", async () => {
        const meta = chat("c1", "alice", 2_000);
        await store.putChat(meta, LONG_TTL);
        expect(await store.getChat("c1")).toEqual(meta);
        expect(await store.getChat("nope")).toBeNull();
      });

      it("keeps the mark of a chat that holds its whole history", async () => {
        const meta = { ...chat("c2", "alice", 2_000), holdsWholeHistory: true };
        await store.putChat(meta, LONG_TTL);
        expect(await store.getChat("c2")).toEqual(meta);
        expect(await store.listChats("alice", 10)).toEqual([meta]);
      });

      it("updates a chat in place when it is put again", async () => {
        await store.putChat(chat("c1", "alice", 2_000), LONG_TTL);
        await store.putChat({ ...chat("c1", "alice", 3_000), title: "Renamed" }, LONG_TTL);
        expect((await store.getChat("c1"))?.title).toBe("Renamed");
        expect((await store.listChats("alice", 10)).map((c) => c.id)).toEqual(["c1"]);
      });

      it("lists a user's chats newest first, up to the limit", async () => {
        await store.putChat(chat("c1", "alice", 100), LONG_TTL);
        await store.putChat(chat("c2", "alice", 300), LONG_TTL);
        await store.putChat(chat("c3", "alice", 200), LONG_TTL);
        expect((await store.listChats("alice", 10)).map((c) => c.id)).toEqual(["c2", "c3", "c1"]);
        expect((await store.listChats("alice", 2)).map((c) => c.id)).toEqual(["c2", "c3"]);
        expect(await store.listChats("alice", 0)).toEqual([]);

        await store.putChat(chat("c1", "alice", 400), LONG_TTL);
        expect((await store.listChats("alice", 10)).map((c) => c.id)).toEqual(["c1", "c2", "c3"]);
      });

      it("never shows one user's chats to another", async () => {
        await store.putChat(chat("a1", "alice", 100), LONG_TTL);
        await store.putChat(chat("b1", "bob", 200), LONG_TTL);
        expect((await store.listChats("alice", 10)).map((c) => c.id)).toEqual(["a1"]);
        expect((await store.listChats("bob", 10)).map((c) => c.id)).toEqual(["b1"]);
        expect(await store.listChats("carol", 10)).toEqual([]);
      });

      it("lists a chat that moved to another user under its new owner only", async () => {
        await store.putChat(chat("c1", "guest", 100), LONG_TTL);
        await store.putChat(chat("c1", "alice", 200), LONG_TTL);
        expect((await store.listChats("alice", 10)).map((c) => c.id)).toEqual(["c1"]);
        expect(await store.listChats("guest", 10)).toEqual([]);
      });

      it("deletes a chat with its messages, index entry and unflushed mark, and nothing else", async () => {
        await store.putChat(chat("c1", "alice", 100), LONG_TTL);
        await store.putChat(chat("c2", "alice", 200), LONG_TTL);
        await store.putMessages("c1", [message("c1", "m1", 1)], LONG_TTL);
        await store.putMessages("c2", [message("c2", "m2", 1)], LONG_TTL);
        await store.putUnflushed("c1", {}, 10, LONG_TTL);
        await store.putUnflushed("c2", {}, 20, LONG_TTL);

        await store.deleteChat("c1", "alice");

        expect(await store.getChat("c1")).toBeNull();
        expect(await store.listMessages("c1")).toEqual([]);
        expect((await store.listChats("alice", 10)).map((c) => c.id)).toEqual(["c2"]);
        expect((await store.listUnflushed(10)).map((u) => u.chatId)).toEqual(["c2"]);
        expect(await store.unflushedStats()).toEqual({ count: 1, oldestSince: 20 });
        expect(await store.listMessages("c2")).toHaveLength(1);
      });
    });

    describe("messages", () => {
      it("round-trips every field, with optional ones present or absent", async () => {
        const full = message("c1", "m1", 10, {
          role: "assistant",
          parts: [{ type: "text", text: "héllo 🎉" }, { type: "reasoning", text: "{}" }],
          model: "gpt-x",
          inputTokens: 12,
          outputTokens: 34,
          costMicros: 56,
          status: "interrupted",
        });
        const bare = message("c1", "m2", 20);
        await store.putMessages("c1", [full, bare], LONG_TTL);
        expect(await store.listMessages("c1")).toEqual([full, bare]);
      });

      it("upserts by id, so the same message written twice is kept once, as last written", async () => {
        await store.putMessages("c1", [message("c1", "m1", 10)], LONG_TTL);
        const edited = message("c1", "m1", 10, { parts: [{ type: "text", text: "edited" }] });
        await store.putMessages("c1", [edited], LONG_TTL);
        await store.putMessages("c1", [edited], LONG_TTL);
        expect(await store.listMessages("c1")).toEqual([edited]);
      });

      it("orders by createdAt, then by id", async () => {
        await store.putMessages(
          "c1",
          [message("c1", "b", 20), message("c1", "z", 10), message("c1", "a", 20), message("c1", "c", 30)],
          LONG_TTL,
        );
        expect((await store.listMessages("c1")).map((m) => m.id)).toEqual(["z", "a", "b", "c"]);
      });

      it("keeps each chat's messages apart and lists none for an unknown chat", async () => {
        await store.putMessages("c1", [message("c1", "m1", 1)], LONG_TTL);
        await store.putMessages("c2", [message("c2", "m2", 1)], LONG_TTL);
        expect((await store.listMessages("c1")).map((m) => m.id)).toEqual(["m1"]);
        expect(await store.listMessages("unknown")).toEqual([]);
      });

      it("accepts an empty batch", async () => {
        await store.putMessages("c1", [], LONG_TTL);
        expect(await store.listMessages("c1")).toEqual([]);
      });
    });

    describe("unflushed marks", () => {
      it("writes a chat and its messages with their mark in one step, which a flush that read before cannot clear", async () => {
        expect(await store.putUnflushed("c1", { chat: chat("c1", "alice", 2_000), messages: [message("c1", "m1", 1)] }, 500, LONG_TTL)).toBe(1);
        expect(await store.putUnflushed("c2", {}, 800, LONG_TTL)).toBe(2);
        await store.clearUnflushed("c2", (await store.listUnflushed(10)).find((mark) => mark.chatId === "c2")!.version);
        expect(await store.getChat("c1")).toEqual(chat("c1", "alice", 2_000));
        expect(await store.listChats("alice", 10)).toEqual([chat("c1", "alice", 2_000)]);
        expect((await store.listMessages("c1")).map((m) => m.id)).toEqual(["m1"]);
        const [read] = await store.listUnflushed(10);
        expect(read).toMatchObject({ chatId: "c1", since: 500 });
        // Messages alone, then the chat alone: each write marks the chat again, keeping the earliest since.
        await store.putUnflushed("c1", { messages: [message("c1", "m2", 2)] }, 600, LONG_TTL);
        expect(await store.clearUnflushed("c1", read.version)).toBe(false);
        await store.putUnflushed("c1", { chat: { ...chat("c1", "alice", 3_000), title: "renamed" } }, 700, LONG_TTL);
        expect((await store.getChat("c1"))?.title).toBe("renamed");
        expect((await store.listMessages("c1")).map((m) => m.id)).toEqual(["m1", "m2"]);
        const [again] = await store.listUnflushed(10);
        expect(again).toMatchObject({ chatId: "c1", since: 500 });
        expect(await store.clearUnflushed("c1", again.version)).toBe(true);
      });

      it("keeps the earliest since, whatever order the marks arrive in", async () => {
        await store.putUnflushed("c1", {}, 200, LONG_TTL);
        await store.putUnflushed("c1", {}, 100, LONG_TTL);
        await store.putUnflushed("c1", {}, 300, LONG_TTL);
        const [mark] = await store.listUnflushed(10);
        expect(mark).toMatchObject({ chatId: "c1", since: 100 });
      });

      it("lists oldest first, up to the limit", async () => {
        await store.putUnflushed("c1", {}, 300, LONG_TTL);
        await store.putUnflushed("7", {}, 100, LONG_TTL);
        await store.putUnflushed("c3", {}, 200, LONG_TTL);
        expect((await store.listUnflushed(10)).map((u) => [u.chatId, u.since])).toEqual([
          ["7", 100],
          ["c3", 200],
          ["c1", 300],
        ]);
        expect((await store.listUnflushed(2)).map((u) => u.chatId)).toEqual(["7", "c3"]);
        expect(await store.listUnflushed(0)).toEqual([]);
      });

      it("clears a mark when nothing was written since its version was read", async () => {
        await store.putUnflushed("c1", {}, 100, LONG_TTL);
        const [mark] = await store.listUnflushed(10);
        expect(await store.clearUnflushed("c1", mark.version)).toBe(true);
        expect(await store.listUnflushed(10)).toEqual([]);
        expect(await store.clearUnflushed("c1", mark.version)).toBe(false);
      });

      it("refuses to clear a mark that was re-marked after reading, and keeps it", async () => {
        await store.putUnflushed("c1", {}, 100, LONG_TTL);
        const [read] = await store.listUnflushed(10);
        await store.putUnflushed("c1", {}, 150, LONG_TTL);

        expect(await store.clearUnflushed("c1", read.version)).toBe(false);
        const [kept] = await store.listUnflushed(10);
        expect(kept).toMatchObject({ chatId: "c1", since: 100 });
        expect(kept.version).not.toBe(read.version);

        expect(await store.clearUnflushed("c1", kept.version)).toBe(true);
        expect(await store.listUnflushed(10)).toEqual([]);
      });

      it("never lets an old version clear a later mark of the same chat", async () => {
        await store.putUnflushed("c1", {}, 100, LONG_TTL);
        const [first] = await store.listUnflushed(10);
        expect(await store.clearUnflushed("c1", first.version)).toBe(true);
        await store.putUnflushed("c1", {}, 200, LONG_TTL);
        expect(await store.clearUnflushed("c1", first.version)).toBe(false);
        expect((await store.listUnflushed(10)).map((u) => u.chatId)).toEqual(["c1"]);
      });

      it("refuses to clear a chat that has no mark", async () => {
        expect(await store.clearUnflushed("never-marked", 1)).toBe(false);
      });

      it("counts marks and reports the oldest", async () => {
        expect(await store.unflushedStats()).toEqual({ count: 0, oldestSince: null });
        await store.putUnflushed("c1", {}, 300, LONG_TTL);
        await store.putUnflushed("c2", {}, 100, LONG_TTL);
        await store.putUnflushed("c2", {}, 400, LONG_TTL);
        expect(await store.unflushedStats()).toEqual({ count: 2, oldestSince: 100 });
      });
    });

    describe("reply cache", () => {
      it("returns what was set, overwrites, and answers null for a miss", async () => {
        expect(await store.getCached("k")).toBeNull();
        await store.setCached("k", "first", LONG_TTL);
        await store.setCached("k", "second", LONG_TTL);
        expect(await store.getCached("k")).toBe("second");
      });

      it("returns text exactly, even text that looks like JSON", async () => {
        const texts = ["123", "true", "null", '{"a": 1}', '"quoted"', "", " spaced ", "héllo 🎉", "1.0", "[1,2]"];
        for (const [i, text] of texts.entries()) await store.setCached(`k${i}`, text, LONG_TTL);
        for (const [i, text] of texts.entries()) expect(await store.getCached(`k${i}`)).toBe(text);
      });
    });

    describe("reply relay", () => {
      it("appends in order, returns the new length, and reads from any offset", async () => {
        expect((await store.appendRelay("r1", ["a", "b"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL })).length).toBe(2);
        expect((await store.appendRelay("r1", ["c"], { writer: "w", seq: 2 })).length).toBe(3);
        expect((await store.appendRelay("r1", [], { writer: "w", seq: 3 })).length).toBe(3);
        expect(await store.readRelay("r1", 0)).toEqual(["a", "b", "c"]);
        expect(await store.readRelay("r1", 2)).toEqual(["c"]);
        expect(await store.readRelay("r1", 3)).toEqual([]);
        expect(await store.readRelay("r1", 10)).toEqual([]);
        expect(await store.readRelay("unknown", 0)).toEqual([]);
        expect((await store.appendRelay("unknown", [], { writer: "w", seq: 0 })).length).toBe(0);
        expect(await store.relayLength("r1")).toBe(3);
        expect(await store.relayLength("unknown")).toBe(0);
      });

      it("returns chunks exactly, even ones that look like JSON", async () => {
        const chunks = ["1", "null", '{"x": 1}', "", " ", "héllo 🎉", '"'];
        await store.appendRelay("r1", chunks, { writer: "w", seq: 0, ttlSeconds: LONG_TTL });
        expect(await store.readRelay("r1", 0)).toEqual(chunks);
      });

      it("applies each writer's chunks once, in sequence, however often an append is sent", async () => {
        expect((await store.appendRelay("r1", ["a", "b"], { writer: "w1", seq: 0, ttlSeconds: LONG_TTL })).length).toBe(2);
        // Sent again (its answer was lost): nothing changes.
        expect((await store.appendRelay("r1", ["a", "b"], { writer: "w1", seq: 0, ttlSeconds: LONG_TTL })).length).toBe(2);
        // Another writer numbers its own chunks; its chunks go after what the relay holds.
        expect((await store.appendRelay("r1", ["x"], { writer: "w2", seq: 0 })).length).toBe(3);
        // Overlapping what was applied: only the new chunk lands.
        expect((await store.appendRelay("r1", ["b", "c"], { writer: "w1", seq: 1 })).length).toBe(4);
        // A gap in the writer's sequence is refused and changes nothing.
        await expect(store.appendRelay("r1", ["e"], { writer: "w1", seq: 4 })).rejects.toThrow(/out of order/);
        expect(await store.readRelay("r1", 0)).toEqual(["a", "b", "x", "c"]);
      });

      it("reads a watched value in the same step as an append, empty or not", async () => {
        const order = (seq: number) => ({ writer: "w", seq, ttlSeconds: LONG_TTL, watch: "flag" });
        expect(await store.appendRelay("r1", ["a"], order(0))).toEqual({ length: 1, watched: null, readElsewhere: false });
        await store.setValue("flag", "12", LONG_TTL);
        expect(await store.appendRelay("r1", ["b"], order(1))).toEqual({ length: 2, watched: "12", readElsewhere: false });
        expect(await store.appendRelay("r1", [], order(2))).toEqual({ length: 2, watched: "12", readElsewhere: false });
        // Sent again: nothing appended, the value still read.
        expect(await store.appendRelay("r1", ["b"], order(1))).toEqual({ length: 2, watched: "12", readElsewhere: false });
        await store.deleteValue("flag");
        expect(await store.appendRelay("r1", ["c"], order(2))).toEqual({ length: 3, watched: null, readElsewhere: false });
        // Without a watch, nothing is read.
        await store.setValue("flag", "stop", LONG_TTL);
        expect(await store.appendRelay("r1", ["d"], { writer: "w", seq: 3 })).toEqual({ length: 4, watched: null, readElsewhere: false });
      });

      it("shares a writer's chunks with this store's readers ahead of their append, which lands them once", async () => {
        await store.appendRelay("r1", ["a"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL });
        const waiting = store.waitForRelay("r1", 1, 5_000);
        // A store may decline (its appends cost nothing): the writer appends them at once then.
        const shared = store.shareRelay("r1", ["b", "c"], { writer: "w", seq: 1 });
        if (shared) {
          expect(await waiting).toEqual(["b", "c"]);
          expect(await store.relayLength("r1")).toBe(3);
          expect(await store.waitForRelay("r1", 0, 5_000)).toEqual(["a", "b", "c"]);
          expect(store.shareRelay("r1", ["d"], { writer: "w", seq: 3 })).toBe(true);
        }
        const after = store.waitForRelay("r1", 4, 5_000);
        expect((await store.appendRelay("r1", ["b", "c", "d", "e"], { writer: "w", seq: 1 })).length).toBe(5);
        // What follows the shared chunks, handed on; unshared, the waiter may be told to read instead.
        if (shared) expect(await after).toEqual(["e"]);
        else expect([undefined, ["e"]]).toContainEqual(await after);
        expect(await store.readRelay("r1", 0)).toEqual(["a", "b", "c", "d", "e"]);
      });

      it("shares only what continues the writer's chunks", async () => {
        expect(store.shareRelay("r1", ["a"], { writer: "w", seq: 0 })).toBe(false);
        await store.appendRelay("r1", ["a"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL });
        expect(store.shareRelay("r1", ["c"], { writer: "w", seq: 2 })).toBe(false);
        expect(store.shareRelay("r1", ["x"], { writer: "another", seq: 0 })).toBe(false);
        expect(await store.readRelay("r1", 0)).toEqual(["a"]);
        expect(await store.relayLength("r1")).toBe(1);
      });

      it("writes a value in the same step as an append, empty or not", async () => {
        await store.appendRelay("r1", ["end"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL, write: { key: "state", value: "ended", ttlSeconds: LONG_TTL } });
        expect(await store.readRelay("r1", 0)).toEqual(["end"]);
        expect(await store.getValue("state")).toBe("ended");
        await store.appendRelay("r1", [], { writer: "w", seq: 1, write: { key: "state", value: '{"json": 1}', ttlSeconds: 1 } });
        expect(await store.getValue("state")).toBe('{"json": 1}');
        await sleep(PAST_ONE_SECOND_TTL_MS);
        expect(await store.getValue("state")).toBeNull();
        expect(await store.readRelay("r1", 0)).toEqual(["end"]);
      });

      it("wakes a waiter as soon as chunks are appended", async () => {
        let appended = false;
        const started = Date.now();
        const wait = store.waitForRelay("r1", 0, 5_000).then(() => ({ appended, elapsed: Date.now() - started }));
        await sleep(50);
        appended = true;
        await store.appendRelay("r1", ["x"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL });
        const woken = await wait;
        expect(woken.appended).toBe(true);
        expect(woken.elapsed).toBeLessThan(4_000);
      });

      it("hands the appended entries to a waiter they continue, and to one behind either them or nothing", async () => {
        await store.appendRelay("r1", ["a"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL });
        const continued = store.waitForRelay("r1", 1, 5_000);
        const behind = store.waitForRelay("r1", 0, 5_000);
        // Nothing (the caller reads), or exactly what follows its offset: never a wrong entry.
        expect([undefined, ["a"]]).toContainEqual(await behind);
        await store.appendRelay("r1", ["b", "c"], { writer: "w", seq: 1 });
        expect(await continued).toEqual(["b", "c"]);
        expect(await store.readRelay("r1", 1)).toEqual(["b", "c"]);
      });

      it("returns promptly when the relay is already past the known length", async () => {
        await store.appendRelay("r1", ["a", "b"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL });
        expect(await settlesWithin(store.waitForRelay("r1", 1, 5_000), 4_000)).toBe("settled");
      });

      it("gives up by the timeout when nothing arrives", async () => {
        await store.appendRelay("r1", ["a"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL });
        expect(await settlesWithin(store.waitForRelay("r1", 1, 300), 3_000)).toBe("settled");
        expect(await settlesWithin(store.waitForRelay("never-written", 0, 300), 3_000)).toBe("settled");
      });
    });

    describe("shared values", () => {
      it("sets, overwrites, gets and deletes", async () => {
        expect(await store.getValue("v")).toBeNull();
        await store.setValue("v", '{"state":"streaming"}', LONG_TTL);
        await store.setValue("v", '{"state":"done"}', LONG_TTL);
        expect(await store.getValue("v")).toBe('{"state":"done"}');
        await store.deleteValue("v");
        expect(await store.getValue("v")).toBeNull();
        await store.deleteValue("never-set");
      });

      it("sets and gets several values in one step, each with its own TTL", async () => {
        await store.setValues([
          { key: "a", value: "1", ttlSeconds: LONG_TTL },
          { key: "b", value: '{"b": true}', ttlSeconds: 1 },
        ]);
        expect(await store.getValues(["a", "missing", "b"])).toEqual(["1", null, '{"b": true}']);
        expect(await store.getValues([])).toEqual([]);
        await sleep(PAST_ONE_SECOND_TTL_MS);
        expect(await store.getValues(["a", "b"])).toEqual(["1", null]);
      });

      it("takes a value once: of several takers at once, exactly one gets it", async () => {
        await store.setValue("once", "token", LONG_TTL);
        const taken = await Promise.all([store.takeValue("once"), store.takeValue("once"), store.takeValue("once")]);
        expect(taken.filter((value) => value === "token")).toHaveLength(1);
        expect(taken.filter((value) => value === null)).toHaveLength(2);
        expect(await store.getValue("once")).toBeNull();
        expect(await store.takeValue("never-set")).toBeNull();
      });

      it("returns text exactly, even text that looks like JSON", async () => {
        for (const text of ["42", "false", '{"a": 1}', ""]) {
          await store.setValue("v", text, LONG_TTL);
          expect(await store.getValue("v")).toBe(text);
        }
      });

      it("increments counters, counting missing ones as 0", async () => {
        expect(await store.incrCounter("n", 1)).toBe(1);
        expect(await store.incrCounter("n", 5, LONG_TTL)).toBe(6);
        expect(await store.incrCounter("n", -2)).toBe(4);
        expect(await store.incrCounter("m", 3, LONG_TTL)).toBe(3);
        expect(await store.getCounters(["n", "missing", "m"])).toEqual([4, 0, 3]);
        expect(await store.getCounters([])).toEqual([]);
      });

      it("adds to counters later, summed with the counters' own values, and reads them back at once", async () => {
        await store.incrCounter("n", 10);
        store.addToCounter("n", 2, LONG_TTL);
        store.addToCounter("n", 3, LONG_TTL);
        store.addToCounter("fresh", 1);
        expect(await store.getCounters(["n", "fresh", "missing"])).toEqual([15, 1, 0]);
        store.addToCounter("n", 5);
        expect(await store.getCounters(["n"])).toEqual([20]);
      });

      it("raises a counter only to a higher value, as a gauge's highest reading", async () => {
        expect(await store.raiseCounter("peak", 7, LONG_TTL)).toBe(7);
        expect(await store.raiseCounter("peak", 3, LONG_TTL)).toBe(7);
        expect(await store.raiseCounter("peak", 0, LONG_TTL)).toBe(7);
        expect(await store.raiseCounter("peak", 12, LONG_TTL)).toBe(12);
        expect(await store.raiseCounter("zero", 0, LONG_TTL)).toBe(0);
        expect(await store.getCounters(["peak", "zero"])).toEqual([12, 0]);
      });
    });

    describe("waiting line", () => {
      it("places by score, lowest first, with ties by id", async () => {
        await store.joinLine("free", "r-a", 10);
        await store.joinLine("free", "r-b", 5);
        await store.joinLine("free", "r-c", 20);
        await store.joinLine("free", "r-0", 20);
        expect(await store.placeInLine("free", "r-b")).toBe(0);
        expect(await store.placeInLine("free", "r-a")).toBe(1);
        expect(await store.placeInLine("free", "r-0")).toBe(2);
        expect(await store.placeInLine("free", "r-c")).toBe(3);
        expect(await store.lineLength("free")).toBe(4);
      });

      it("lists the front of the line in order, ties by id", async () => {
        await store.joinLine("free", "r-c", 20);
        await store.joinLine("free", "r-a", 10);
        await store.joinLine("free", "r-b", 20);
        await store.joinLine("free", "42", 30);
        await store.joinLine("other", "r-o", 1);
        expect(await store.frontOfLine("free", 2)).toEqual(["r-a", "r-b"]);
        expect(await store.frontOfLine("free", 10)).toEqual(["r-a", "r-b", "r-c", "42"]);
        expect(await store.frontOfLine("free", 0)).toEqual([]);
        expect(await store.frontOfLine("empty", 5)).toEqual([]);
      });

      it("re-scores a reply that joins again", async () => {
        await store.joinLine("free", "r-a", 10);
        await store.joinLine("free", "r-b", 20);
        await store.joinLine("free", "r-b", 1);
        expect(await store.placeInLine("free", "r-b")).toBe(0);
        expect(await store.lineLength("free")).toBe(2);
      });

      it("forgets a reply that leaves, and keeps lines apart", async () => {
        await store.joinLine("free", "r-a", 10);
        await store.joinLine("free", "r-b", 20);
        await store.joinLine("paid", "r-p", 30);
        await store.leaveLine("free", "r-a");
        await store.leaveLine("free", "never-joined");
        expect(await store.placeInLine("free", "r-a")).toBeNull();
        expect(await store.placeInLine("free", "r-b")).toBe(0);
        expect(await store.placeInLine("free", "r-p")).toBeNull();
        expect(await store.lineLength("free")).toBe(1);
        expect(await store.lineLength("paid")).toBe(1);
        expect(await store.lineLength("empty")).toBe(0);
        expect(await store.placeInLine("empty", "r-a")).toBeNull();
      });

      it("trims the members scored below a bound, keeping the rest and other lines", async () => {
        await store.joinLine("live", "old-1", 100);
        await store.joinLine("live", "old-2", 199);
        await store.joinLine("live", "edge", 200);
        await store.joinLine("live", "new", 300);
        await store.joinLine("other", "old-3", 50);
        expect(await store.trimLine("live", 200)).toBe(2);
        expect(await store.lineLength("live")).toBe(2);
        expect(await store.placeInLine("live", "edge")).toBe(0);
        expect(await store.placeInLine("live", "old-1")).toBeNull();
        expect(await store.lineLength("other")).toBe(1);
        expect(await store.trimLine("live", 200)).toBe(0);
        expect(await store.trimLine("empty", 1_000)).toBe(0);
      });

      it("enters a member after trimming the ones scored below a bound, and answers how many others it found", async () => {
        await store.joinLine("live", "stale", 100);
        await store.joinLine("live", "edge", 200);
        expect(await store.enterLine("live", "b", 300, 200)).toBe(1);
        expect(await store.placeInLine("live", "stale")).toBeNull();
        // Counted whatever the scores: "a" sorts before "b" but entered after it.
        expect(await store.enterLine("live", "a", 250, 200)).toBe(2);
        expect(await store.placeInLine("live", "a")).toBe(1);
        // Entering again re-scores, as joinLine does, and does not count itself.
        expect(await store.enterLine("live", "edge", 400, 200)).toBe(2);
        expect(await store.placeInLine("live", "edge")).toBe(2);
        expect(await store.enterLine("empty", "x", 1, 0)).toBe(0);
        // Of many entering at once with the same score, each counts those before it: a cap holds.
        const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => store.enterLine("crowd", `m${String(19 - i).padStart(2, "0")}`, 5, 0)));
        expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      });

      it("joins other lines in the same step, untrimmed, and leaves several lines in one", async () => {
        await store.joinLine("all", "stale", 1);
        expect(await store.enterLine("mine", "s1", 500, 100, ["all"])).toBe(0);
        expect(await store.frontOfLine("all", 10)).toEqual(["stale", "s1"]);
        await store.leaveLines(["mine", "all"], "s1");
        expect(await store.placeInLine("mine", "s1")).toBeNull();
        expect(await store.frontOfLine("all", 10)).toEqual(["stale"]);
        await store.leaveLines([], "s1");
      });
    });

    describe("shared limits", () => {
      const LONG_LEASE_MS = 600_000;
      /** Short enough to lapse within a test, long enough that a busy machine renews in time. */
      const SHORT_LEASE_MS = 600;
      const lease = (score: number, ttlMs = LONG_LEASE_MS, limit = 1) => ({ limit, ttlMs, score });

      it("hands out at most `limit` leases of a pool, one per holder, and a given-back one again", async () => {
        expect(await store.acquireLease("pool", "a", lease(0, LONG_LEASE_MS, 2))).toBe(true);
        expect(await store.acquireLease("pool", "b", lease(0, LONG_LEASE_MS, 2))).toBe(true);
        expect(await store.acquireLease("pool", "c", lease(0, LONG_LEASE_MS, 2))).toBe(false);
        // Asking again while holding one keeps that one rather than taking the last.
        expect(await store.acquireLease("pool", "a", lease(0, LONG_LEASE_MS, 2))).toBe(true);
        expect(await store.acquireLease("pool", "c", lease(0, LONG_LEASE_MS, 2))).toBe(false);
        await store.releaseLease("pool", "a");
        expect(await store.acquireLease("pool", "c", lease(0, LONG_LEASE_MS, 2))).toBe(true);
        // Pools are counted apart, and giving back what one does not hold changes nothing.
        expect(await store.acquireLease("other", "d", lease(0))).toBe(true);
        await store.releaseLease("pool", "nobody");
        expect(await store.acquireLease("pool", "e", lease(0, LONG_LEASE_MS, 2))).toBe(false);
      });

      it("frees a lease left unrenewed past its TTL, and keeps one that is renewed", async () => {
        expect(await store.acquireLease("left", "gone", lease(0, SHORT_LEASE_MS))).toBe(true);
        expect(await store.acquireLease("kept", "alive", lease(0, SHORT_LEASE_MS))).toBe(true);
        // Renewed well within its TTL, for more than twice its TTL.
        const until = Date.now() + 2.5 * SHORT_LEASE_MS;
        while (Date.now() < until) {
          expect(await store.renewLeases([{ pool: "kept", holder: "alive" }], SHORT_LEASE_MS)).toEqual([true]);
          await sleep(SHORT_LEASE_MS / 4);
        }
        expect(await store.acquireLease("kept", "other", lease(0))).toBe(false);
        expect(await store.acquireLease("left", "next", lease(0))).toBe(true);
        // The lapsed holder learns it lost the lease when it tries to renew it.
        expect(
          await store.renewLeases(
            [
              { pool: "left", holder: "gone" },
              { pool: "never", holder: "held" },
            ],
            SHORT_LEASE_MS,
          ),
        ).toEqual([false, false]);
      });

      it("gives a freed lease to the waiter with the lowest score, not to whoever asks first", async () => {
        expect(await store.acquireLease("line", "holder", lease(0))).toBe(true);
        for (const [waiter, score] of [["late", 30], ["early", 10], ["middle", 20], ["tied-b", 40], ["tied-a", 40]] as const) {
          expect(await store.acquireLease("line", waiter, lease(score))).toBe(false);
        }
        await store.releaseLease("line", "holder");
        expect(await store.acquireLease("line", "late", lease(30))).toBe(false);
        expect(await store.acquireLease("line", "middle", lease(20))).toBe(false);
        expect(await store.acquireLease("line", "early", lease(10))).toBe(true);
        await store.releaseLease("line", "early");
        expect(await store.acquireLease("line", "late", lease(30))).toBe(false);
        expect(await store.acquireLease("line", "middle", lease(20))).toBe(true);
        await store.releaseLease("line", "middle");
        expect(await store.acquireLease("line", "late", lease(30))).toBe(true);
        await store.releaseLease("line", "late");
        // Equal scores: by holder id, as in a line.
        expect(await store.acquireLease("line", "tied-b", lease(40))).toBe(false);
        expect(await store.acquireLease("line", "tied-a", lease(40))).toBe(true);
      });

      it("drops a waiter that stops asking, so it holds up those behind it for one TTL at most", async () => {
        expect(await store.acquireLease("stalled", "holder", lease(0))).toBe(true);
        expect(await store.acquireLease("stalled", "dead", lease(1, SHORT_LEASE_MS))).toBe(false);
        expect(await store.acquireLease("stalled", "leaving", lease(2, SHORT_LEASE_MS))).toBe(false);
        expect(await store.acquireLease("stalled", "alive", lease(3, SHORT_LEASE_MS))).toBe(false);
        // A waiter that gives up its place leaves at once; a dead one only when its wait lapses.
        await store.releaseLease("stalled", "leaving");
        await store.releaseLease("stalled", "holder");
        expect(await store.acquireLease("stalled", "alive", lease(3, SHORT_LEASE_MS))).toBe(false);
        const deadline = Date.now() + 10 * SHORT_LEASE_MS;
        let granted = false;
        while (!granted && Date.now() < deadline) {
          await sleep(SHORT_LEASE_MS / 6);
          granted = await store.acquireLease("stalled", "alive", lease(3, SHORT_LEASE_MS));
        }
        expect(granted).toBe(true);
      });
    });

    describe("provider capacity", () => {
      const perMinute = (limit: number) => ({ limit, windowMs: 60_000 });
      /** How many of `count` starts asked at once the bucket grants. */
      const grantedOf = async (bucket: string, config: { limit: number; windowMs: number }, count: number) =>
        (await Promise.all(Array.from({ length: count }, () => store.takeCapacity(bucket, config)))).filter((grant) => grant.granted).length;

      it("grants a fresh bucket's configured starts at once, however many ask, then says when its window ends", async () => {
        const grants = await Promise.all(Array.from({ length: 5 }, () => store.takeCapacity("model-a", perMinute(3))));
        const granted = grants.filter((grant) => grant.granted);
        expect(granted.map((grant) => grant.seq).sort()).toEqual([1, 2, 3]);
        for (const refused of grants.filter((grant) => !grant.granted)) {
          expect(refused.seq).toBe(0);
          expect(refused.waitMs).toBeGreaterThan(59_000);
          expect(refused.waitMs).toBeLessThanOrEqual(60_000);
        }
        // Another bucket (another model or key) keeps books of its own.
        expect((await store.takeCapacity("model-b", perMinute(3))).granted).toBe(true);
        expect(await store.readCapacity("model-a")).toMatchObject({ limit: 3, used: 3, seq: 3, reported: false });
        expect(await store.readCapacity("never used")).toBeNull();
      });

      it("takes the provider's headers over the configuration, counting the starts it had not seen", async () => {
        for (let taken = 0; taken < 3; taken += 1) await store.takeCapacity("reported", perMinute(3));
        // The first start's answer: the provider allows 10, and had 9 left when it counted that one.
        await store.reportCapacity("reported", { seq: 1, refused: false, headroom: { limit: 10, remaining: 9, resetMs: 30_000 } }, perMinute(3));
        expect(await store.readCapacity("reported")).toMatchObject({ limit: 10, used: 3, reported: true });
        const more = await Promise.all(Array.from({ length: 8 }, () => store.takeCapacity("reported", perMinute(3))));
        expect(more.filter((grant) => grant.granted)).toHaveLength(7);
        // An older answer arriving late changes nothing.
        await store.reportCapacity("reported", { seq: 1, refused: false, headroom: { limit: 10, remaining: 9, resetMs: 0 } }, perMinute(3));
        expect(await store.readCapacity("reported")).toMatchObject({ used: 10, reportSeq: 1 });

        // The newest start's answer says when the window is whole again: the books open then.
        await store.reportCapacity("reported", { seq: 10, refused: false, headroom: { limit: 10, remaining: 0, resetMs: 300 } }, perMinute(3));
        const waiting = await store.takeCapacity("reported", perMinute(3));
        expect(waiting.granted).toBe(false);
        expect(waiting.waitMs).toBeLessThanOrEqual(300);
        await sleep(400);
        const fresh = await store.takeCapacity("reported", perMinute(3));
        expect(fresh.granted).toBe(true);
        // An answer to a start of the window that ended says nothing of this one.
        await store.reportCapacity("reported", { seq: fresh.seq - 1, refused: false, headroom: { limit: 10, remaining: 0, resetMs: 30_000 } }, perMinute(3));
        expect(await store.readCapacity("reported")).toMatchObject({ used: 1, reportSeq: 10 });
      });

      it("holds every start back until a 429's Retry-After, and cuts a guessed limit once per round of starts", async () => {
        const short = { limit: 10, windowMs: 300 };
        const seqs = [];
        for (let taken = 0; taken < 4; taken += 1) seqs.push((await store.takeCapacity("refusing", short)).seq);
        // Two starts of the same round refused: the limit is cut once, to 7; the first refusal, naming
        // no wait, spends the window; the second holds every start back for its Retry-After.
        await store.reportCapacity("refusing", { seq: seqs[2], refused: true }, short);
        await store.reportCapacity("refusing", { seq: seqs[3], refused: true, retryAfterMs: 200 }, short);
        expect(await store.readCapacity("refusing")).toMatchObject({ limit: 7, used: 7 });
        const blocked = await store.takeCapacity("refusing", short);
        expect(blocked).toMatchObject({ granted: false, seq: 0 });
        expect(blocked.waitMs).toBeGreaterThan(100);
        expect(blocked.waitMs).toBeLessThanOrEqual(200);

        // The next window opens at the cut limit; the one after it, clean, probes up by a tenth.
        await sleep(350);
        expect(await grantedOf("refusing", short, 10)).toBe(7);
        await sleep(350);
        expect(await grantedOf("refusing", short, 10)).toBe(8);
      });

      it("starts the books afresh under another configured limit (LLM_RPM changed), whatever was learnt under the old one", async () => {
        const first = await store.takeCapacity("reconfigured", perMinute(5));
        await store.reportCapacity("reconfigured", { seq: first.seq, refused: false, headroom: { limit: 2, remaining: 0, resetMs: 60_000 } }, perMinute(5));
        expect((await store.takeCapacity("reconfigured", perMinute(5))).granted).toBe(false);
        // Another server, configured for 1,000 a minute: not held to the 2 the old books learnt.
        expect(await grantedOf("reconfigured", perMinute(1000), 20)).toBe(20);
        expect(await store.readCapacity("reconfigured")).toMatchObject({ configured: 1000, limit: 1000, used: 20, reported: false });
      });

      it("lets a reported limit go once a window with starts passes without headers, then probes up from it by a tenth of the configured limit", async () => {
        const short = { limit: 20, windowMs: 300 };
        const first = await store.takeCapacity("gone quiet", short);
        // The provider allows 2 per window and says so, once; it answers the second start without headers.
        await store.reportCapacity("gone quiet", { seq: first.seq, refused: false, headroom: { limit: 2, remaining: 1, resetMs: 300 } }, short);
        expect((await store.takeCapacity("gone quiet", short)).granted).toBe(true);
        expect((await store.takeCapacity("gone quiet", short)).granted).toBe(false);
        // The window that ended had its report: the provider's 2 still hold.
        await sleep(350);
        expect(await grantedOf("gone quiet", short, 4)).toBe(2);
        // That window went by with starts and no report: probing takes over, 2 more than the 2.
        await sleep(350);
        expect(await grantedOf("gone quiet", short, 10)).toBe(4);
        expect(await store.readCapacity("gone quiet")).toMatchObject({ limit: 4, reported: false });
      });

      it("keeps a token bucket: takes of many tokens, settled with what they used, a take larger than the limit in an empty window", async () => {
        const tokens = { limit: 1000, windowMs: 300 };
        const first = await store.takeCapacity("tokens", tokens, 600);
        expect(first).toMatchObject({ granted: true, seq: 600 });
        expect((await store.takeCapacity("tokens", tokens, 600)).granted).toBe(false);
        // The first call used 150 of its 600: the rest comes back, and the second fits now.
        await store.returnCapacity("tokens", { seq: first.seq, amount: 450 }, tokens);
        const second = await store.takeCapacity("tokens", tokens, 600);
        expect(second).toMatchObject({ granted: true, seq: 1200 });
        expect(await store.readCapacity("tokens")).toMatchObject({ used: 750 });
        // Headers about the first take count the 600 taken since as unseen, in tokens.
        await store.reportCapacity("tokens", { seq: first.seq, refused: false, headroom: { limit: 1000, remaining: 850, resetMs: 250 } }, tokens);
        expect(await store.readCapacity("tokens")).toMatchObject({ used: 750, reported: true });
        // An estimate that fell short is counted on top.
        await store.returnCapacity("tokens", { seq: second.seq, amount: -100 }, tokens);
        expect(await store.readCapacity("tokens")).toMatchObject({ used: 850 });

        await sleep(300);
        // A take bigger than the whole limit waits for an empty window, then takes all of it;
        // settling a take of an earlier window changes nothing.
        expect(await store.takeCapacity("tokens", tokens, 5000)).toMatchObject({ granted: true });
        await store.returnCapacity("tokens", { seq: second.seq, amount: 600 }, tokens);
        expect(await store.readCapacity("tokens")).toMatchObject({ used: 1000 });
      });

      describe("where a provider without headers begins its windows", () => {
        const windowMs = 1000;
        const config = { limit: 3, windowMs };
        /**
         * After a first window with a start and no headers (a fresh bucket's first window does not
         * probe: the answers to its starts may still bring headers), spends a window 400 ms into a
         * window of the clock, and lets the clock's next begin.
         */
        async function spendThenCrossClockBoundary(bucket: string) {
          expect((await store.takeCapacity(bucket, config)).granted).toBe(true);
          await sleep(2 * windowMs + 400 - (Date.now() % windowMs));
          expect(await grantedOf(bucket, config, 3)).toBe(3);
          const turnedAway = await store.takeCapacity(bucket, config);
          // Told to come back at the clock's next window, before the bucket's own ends.
          expect(turnedAway.granted).toBe(false);
          expect(turnedAway.waitMs).toBeLessThanOrEqual(600);
          expect(turnedAway.waitMs).toBeGreaterThan(400);
          await sleep(turnedAway.waitMs + 20);
          const probe = await store.takeCapacity(bucket, config);
          expect(probe).toMatchObject({ granted: true, seq: 5, probe: true });
          // Nothing more until the probe is answered.
          const held = await store.takeCapacity(bucket, config);
          expect(held.granted).toBe(false);
          expect(held.waitMs).toBeLessThanOrEqual(100);
          return probe.seq;
        }

        it("adopts the clock's windows when one probe at the clock's boundary is let in", async () => {
          const probeSeq = await spendThenCrossClockBoundary("clock probe");
          await store.reportCapacity("clock probe", { seq: probeSeq, refused: false }, config);
          const books = await store.readCapacity("clock probe");
          expect(books).toMatchObject({ clockAligned: true, used: 1, limit: 3, probeSeq: 0 });
          expect(books!.resetAt % windowMs).toBe(0);
          // The rest of the clock's window, then a wait for its end.
          const rest = await Promise.all(Array.from({ length: 4 }, () => store.takeCapacity("clock probe", config)));
          expect(rest.filter((grant) => grant.granted)).toHaveLength(2);
          // Only the probe asks for its answer to be reported.
          expect(rest.some((grant) => grant.probe)).toBe(false);
          const next = await store.takeCapacity("clock probe", config);
          expect(Math.abs(((Date.now() + next.waitMs) % windowMs) - windowMs / 2)).toBeGreaterThan(windowMs / 2 - 50);
          await sleep(next.waitMs + 20);
          expect(await grantedOf("clock probe", config, 4)).toBe(3);
          expect((await store.readCapacity("clock probe"))!.resetAt % windowMs).toBe(0);
        });

        it("counts a probe still out when its own window ends in the next one, and adopts the clock's windows with what was taken since", async () => {
          const probeSeq = await spendThenCrossClockBoundary("probe out");
          // The bucket's own window ends about 400 ms after the clock's boundary, the probe unanswered.
          await sleep(450);
          expect(await grantedOf("probe out", config, 4)).toBe(2);
          await store.reportCapacity("probe out", { seq: probeSeq, refused: false }, config);
          const books = await store.readCapacity("probe out");
          // The probe and the two after it, all in the clock's window the probe opened.
          expect(books).toMatchObject({ clockAligned: true, used: 3, probeSeq: 0 });
          expect(books!.resetAt % windowMs).toBe(0);
        });

        it("probes at once when its window is spent after a clock boundary inside it, counts every start since that boundary, and cuts nothing for a refusal there", async () => {
          expect((await store.takeCapacity("straddle", config)).granted).toBe(true);
          // The bucket's window opens 600 ms into a window of the clock and takes two starts there...
          await sleep(2 * windowMs + 600 - (Date.now() % windowMs));
          expect(await grantedOf("straddle", config, 2)).toBe(2);
          // ...and its last just after the clock's next boundary, where the provider's window is fresh.
          await sleep(windowMs - (Date.now() % windowMs) + 20);
          expect((await store.takeCapacity("straddle", config)).granted).toBe(true);
          const probe = await store.takeCapacity("straddle", config);
          expect(probe).toMatchObject({ granted: true, seq: 5, probe: true });
          await store.reportCapacity("straddle", { seq: probe.seq, refused: false }, config);
          const books = await store.readCapacity("straddle");
          // The provider's window holds the start after the boundary and the probe.
          expect(books).toMatchObject({ clockAligned: true, used: 2 });
          expect(books!.resetAt % windowMs).toBe(0);
          // A refusal in that window (a start on its way at the boundary filled the provider's) spends
          // it, and leaves the limit: the count, not the limit, was short.
          await store.reportCapacity("straddle", { seq: probe.seq - 1, refused: true }, config);
          expect(await store.readCapacity("straddle")).toMatchObject({ limit: 3, used: 3 });
          expect((await store.takeCapacity("straddle", config)).granted).toBe(false);
        });

        it("keeps its own windows, its limit uncut, when the probe is refused", async () => {
          const probeSeq = await spendThenCrossClockBoundary("own windows");
          await store.reportCapacity("own windows", { seq: probeSeq, refused: true }, config);
          const books = await store.readCapacity("own windows");
          expect(books).toMatchObject({ clockAligned: false, limit: 3, probeSeq: 0 });
          // Its own window ends a second after it opened, about 400 ms from now, and nothing probes again.
          const waiting = await store.takeCapacity("own windows", config);
          expect(waiting.granted).toBe(false);
          expect(waiting.waitMs).toBeLessThanOrEqual(400);
          expect(books!.resetAt % windowMs).toBeGreaterThan(300);
          await sleep(waiting.waitMs + 20);
          expect(await grantedOf("own windows", config, 4)).toBe(3);
        });
      });

      it("holds a bucket's starts back for a pause asked without a refusal (a rejected key), leaving its limit as it was", async () => {
        const short = { limit: 5, windowMs: 300 };
        const { seq } = await store.takeCapacity("rejected key", short);
        await store.reportCapacity("rejected key", { seq, refused: false, retryAfterMs: 250 }, short);
        const paused = await store.takeCapacity("rejected key", short);
        expect(paused).toMatchObject({ granted: false, seq: 0 });
        expect(paused.waitMs).toBeGreaterThan(150);
        expect(await store.readCapacity("rejected key")).toMatchObject({ limit: 5, used: 1 });
        await sleep(300);
        expect((await store.takeCapacity("rejected key", short)).granted).toBe(true);
      });
    });

    it("expires everything written with a TTL once it passes, and nothing else", async () => {
      await store.putChat(chat("short", "alice", 200), 1);
      await store.putChat(chat("long", "alice", 100), LONG_TTL);
      await store.putMessages("short", [message("short", "m1", 1)], 1);
      await store.putMessages("long", [message("long", "m2", 1)], LONG_TTL);
      await store.setCached("short", "x", 1);
      await store.setCached("long", "y", LONG_TTL);
      await store.appendRelay("short", ["x"], { writer: "w", seq: 0, ttlSeconds: 1 });
      await store.appendRelay("short", ["x2"], { writer: "w", seq: 1 });
      await store.appendRelay("long", ["y"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL });
      await store.setValue("short", "x", 1);
      await store.setValue("long", "y", LONG_TTL);
      // The TTL is set on the first increment; later ones do not extend it.
      await store.incrCounter("short", 1, 1);
      await store.incrCounter("short", 1, LONG_TTL);
      await store.incrCounter("long", 1, LONG_TTL);
      await store.incrCounter("forever", 1);
      store.addToCounter("added-short", 1, 1);
      store.addToCounter("added-long", 1, LONG_TTL);
      await store.getCounters(["added-short"]);
      await store.raiseCounter("short-peak", 5, 1);
      await store.raiseCounter("short-peak", 6, LONG_TTL);

      await sleep(PAST_ONE_SECOND_TTL_MS);

      expect(await store.getChat("short")).toBeNull();
      expect(await store.getChat("long")).not.toBeNull();
      expect((await store.listChats("alice", 10)).map((c) => c.id)).toEqual(["long"]);
      expect(await store.listMessages("short")).toEqual([]);
      expect(await store.listMessages("long")).toHaveLength(1);
      expect(await store.getCached("short")).toBeNull();
      expect(await store.getCached("long")).toBe("y");
      expect(await store.readRelay("short", 0)).toEqual([]);
      expect(await store.readRelay("long", 0)).toEqual(["y"]);
      expect(await store.getValue("short")).toBeNull();
      expect(await store.getValue("long")).toBe("y");
      expect(await store.getCounters(["short", "long", "forever", "added-short", "added-long", "short-peak"])).toEqual([0, 1, 1, 0, 1, 0]);
      // An expired relay starts again from nothing, its writers' sequences too.
      expect((await store.appendRelay("short", ["z"], { writer: "w", seq: 0, ttlSeconds: LONG_TTL })).length).toBe(1);
    });
  });
}
