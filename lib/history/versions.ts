/**
 * Versions of a turn: a regenerated reply or an edited message is kept beside the version before
 * it, as a sibling (the same parentId), so a chat's messages form a tree. What the chat shows, and
 * what the model is sent, is one branch of it: the chat's selected message, its ancestors, and
 * below it the newest child at each step (a reply that arrives after the selected question, the
 * turns that followed the selected version).
 */
import type { MessageVersions, StoredMessage } from "@/lib/domain";

/** A message of the shown branch; `versions` only when its turn has more than one. */
export type ShownMessage = StoredMessage & { versions?: MessageVersions };

interface MessageTree {
  byId: Map<string, StoredMessage>;
  parentOf: Map<string, string | null>;
  /** Children by parent id (null: the chat's first messages), oldest first. */
  childrenOf: Map<string | null, string[]>;
}

/**
 * `messages` in chat order (createdAt, then id). A message written before versions existed has no
 * parentId and follows the message before it, which is what a chat was then: one line. So does a
 * message whose parent the chat does not hold: it was sent while the reply it follows was still
 * being written (lib/chat/send-message.ts), and that reply is not stored yet, or never was.
 */
function treeOf(messages: StoredMessage[]): MessageTree {
  const byId = new Map<string, StoredMessage>(messages.map((message) => [message.id, message]));
  const parentOf = new Map<string, string | null>();
  const childrenOf = new Map<string | null, string[]>();
  messages.forEach((message, index) => {
    const known = message.parentId === null || (message.parentId !== undefined && byId.has(message.parentId));
    const parent = known ? message.parentId! : (messages[index - 1]?.id ?? null);
    parentOf.set(message.id, parent);
    childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), message.id]);
  });
  return { byId, parentOf, childrenOf };
}

/** The messages from the chat's first down to `messageId`, oldest first; empty for an unknown id. */
function pathTo(tree: MessageTree, messageId: string): string[] {
  const path: string[] = [];
  const seen = new Set<string>();
  for (let id: string | null | undefined = messageId; id != null && tree.byId.has(id) && !seen.has(id); id = tree.parentOf.get(id)) {
    seen.add(id);
    path.unshift(id);
  }
  return path;
}

/** The branch that ends with `messageId`, oldest first: the history a reply to it is given. */
export function branchTo(messages: StoredMessage[], messageId: string): StoredMessage[] {
  const tree = treeOf(messages);
  return pathTo(tree, messageId).map((id) => tree.byId.get(id)!);
}

/** The branch the chat shows for its selected message (none or unknown: the newest branch). */
export function shownBranch(messages: StoredMessage[], selectedMessageId?: string): ShownMessage[] {
  const tree = treeOf(messages);
  const selected = selectedMessageId !== undefined && tree.byId.has(selectedMessageId) ? selectedMessageId : null;
  const path = selected === null ? [] : pathTo(tree, selected);
  for (let children = tree.childrenOf.get(path.at(-1) ?? null); children?.length; children = tree.childrenOf.get(path.at(-1)!)) {
    path.push(children.at(-1)!);
  }
  return path.map((id) => {
    const message = tree.byId.get(id)!;
    const siblings = tree.childrenOf.get(tree.parentOf.get(id)!) ?? [id];
    return siblings.length > 1 ? { ...message, versions: { index: siblings.indexOf(id), ids: siblings } } : message;
  });
}

/**
 * The messages with every parent spelled out, as Postgres stores them: a message written before
 * versions existed gets the one before it. `messages` in chat order, from the chat's first.
 */
export function withExplicitParents(messages: StoredMessage[]): StoredMessage[] {
  const tree = treeOf(messages);
  return messages.map((message) => (message.parentId === undefined ? { ...message, parentId: tree.parentOf.get(message.id)! } : message));
}
