/**
 * What one reply costs in Redis commands, counted by the app's own clients under the activity that
 * sent them (lib/hot/command-count.ts), as the benchmark counts them: a guest's message accepted,
 * its reply job, and the sender's stream reading it, through the real routes on PostgreSQL, Redis
 * and the provider double. On Upstash each command is billed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandCounts } from "@/lib/hot/command-count";
import { readStream } from "./support/http-user";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { sendMessage, startGuest } from "./support/route-users";
import { waitFor } from "./support/wait-for";

/** A long reply at a model's usual pace: about 7.5 s of streaming. */
const REPLY_TOKENS = 500;
/** The activities of one reply, sign-in excluded: the accept path, the reply job, its reader. */
const REPLY_ACTIVITIES = ["chat.send", "reply-job", "reply-reader"];

let app: RouteApp;

beforeAll(async () => {
  app = await startRouteApp({ provider: { tokensPerReply: REPLY_TOKENS, tokenDelayMs: 15 } });
});

afterAll(async () => {
  await app?.dispose();
});

function replyCommands(): number {
  const counts = commandCounts();
  return REPLY_ACTIVITIES.reduce((sum, activity) => sum + (counts[activity]?.commands ?? 0), 0);
}

/** The reply's commands by activity and name, as far as they grew since `before`: what a failure shows. */
function breakdown(before: ReturnType<typeof commandCounts>): string {
  const after = commandCounts();
  return REPLY_ACTIVITIES.flatMap((activity) =>
    Object.entries(after[activity]?.byName ?? {})
      .map(([name, count]) => [name, count - (before[activity]?.byName[name] ?? 0)] as const)
      .filter(([, count]) => count > 0)
      .map(([name, count]) => `${activity} ${name} ${count}`),
  ).join(", ");
}

describe("a reply's Redis commands", () => {
  it("stay near 50 for a 500-token reply read by its sender on the instance that writes it, not one per batch", async () => {
    const guest = await startGuest(app);
    // A first reply loads the scripts into Redis (a script's first use costs a second command) and warms the caches.
    const warmUp = await sendMessage(app, guest.client, { text: "warm up" });
    expect((await readStream(warmUp)).finished).toBe(true);
    const before = replyCommands();
    const countsBefore = structuredClone(commandCounts());
    const sent = await sendMessage(app, guest.client, { text: "what does this cost" });
    expect(sent.status).toBe(200);
    const read = await readStream(sent);
    expect(read.finished).toBe(true);
    expect(read.text).toContain(`word${REPLY_TOKENS}`);
    // The job's last writes (its state, the tokens it used) land just after the reader's end.
    let last = -1;
    const spent = await waitFor(
      "the reply's commands to stop growing",
      () => replyCommands() - before,
      (count) => {
        const settled = count === last;
        last = count;
        return settled;
      },
      { everyMs: 500 },
    );
    // About 48 on a quiet machine, as the benchmark measures it (the README's table: issue #20's
    // 50). A busy machine adds the reader's idle checks while the model is slow to start (a few
    // reads) and an append per 2 s the reply takes longer; an append per 100 ms batch, or a
    // script come apart into its commands, adds dozens.
    expect(spent, breakdown(countsBefore)).toBeLessThanOrEqual(60);
  });
});
