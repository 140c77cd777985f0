/** A reply's state in the hot store (queued, running, done...), shared by every instance. */
import type { HotStore } from "@/lib/hot/hot-store";
import { hotKeys } from "@/lib/hot/hot-keys";
import type { ReplyState } from "@/lib/domain";

export async function readReplyState(hot: HotStore, replyId: string): Promise<ReplyState | null> {
  const raw = await hot.getValue(hotKeys.replyState(replyId));
  return raw ? (JSON.parse(raw) as ReplyState) : null;
}

export async function writeReplyState(hot: HotStore, state: ReplyState, ttlSeconds: number): Promise<void> {
  await hot.setValue(hotKeys.replyState(state.replyId), JSON.stringify(state), ttlSeconds);
}
