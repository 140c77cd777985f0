/**
 * The Inngest job runner: a reply becomes an event, and Inngest queues, paces and retries it
 * (inngest/functions.ts). The event id comes from the reply id, so a duplicate submit within
 * Inngest's 24-hour window is dropped rather than answered twice.
 */
import { flushRequested, inngest, replyRequested, replyStopped, titleRequested } from "@/inngest/client";
import type { ReplyJob, TitleJob } from "@/lib/domain";
import type { JobRunner } from "./job-runner";

export class InngestJobRunner implements JobRunner {
  readonly driver = "inngest" as const;

  async enqueueReply(job: ReplyJob): Promise<void> {
    await inngest.send(replyRequested.create({ ...job }, { id: `reply-${job.replyId}` }));
  }

  async enqueueTitle(job: TitleJob): Promise<void> {
    await inngest.send(titleRequested.create({ ...job }, { id: `title-${job.chatId}-${job.enqueuedAt}` }));
  }

  /** Cancels the reply's run (its `cancelOn`), so a stopped reply no longer waits for a throttle slot. */
  async replyStopped(replyId: string): Promise<void> {
    await inngest.send(replyStopped.create({ replyId }, { id: `reply-stopped-${replyId}` }));
  }

  async requestFlush(): Promise<void> {
    await inngest.send(flushRequested.create({}));
  }

  async close(): Promise<void> {}
}
