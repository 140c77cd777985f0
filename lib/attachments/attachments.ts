/**
 * Attachments: images and PDFs a user uploads and then sends with a message. The bytes go to
 * object storage (lib/storage) under an unguessable key; who owns each, what it is and the chat it
 * was sent in are kept in Postgres. A message holds references (AttachmentRef), never bytes, in
 * the hot store and in history; the reply job reads the bytes for the model call
 * (lib/replies/model-stream.ts). Every read takes the owner's id: another user's attachment is
 * not found.
 */
import { randomBytes } from "node:crypto";
import type { ModelProvider } from "@/lib/ai/models";
import type { Database } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import type { AttachmentKind, AttachmentRef, ChatUIMessage, Tier } from "@/lib/domain";
import { describeWait, enforceLimits, type LimitDeps } from "@/lib/limits/enforce-limits";
import { ATTACHMENT_POLICIES } from "@/lib/limits/policies";
import { logger } from "@/lib/log";
import type { ObjectStore } from "@/lib/storage/object-store";
import { attachmentKindOf, estimateAttachmentTokens, sniffAttachment } from "./attachment-content";

export interface AttachmentDeps {
  db: Database;
  storage: ObjectStore;
}

export interface AttachmentOwner {
  userId: string;
  tier: Tier;
}

const REF_FIELDS = { id: true, name: true, mediaType: true, size: true, tokens: true } as const;

const KIND_NAMES: Record<AttachmentKind, string> = { image: "images", pdf: "PDFs" };

/** A file name as shown beside the attachment: its last path segment, printable, at most 200 characters. */
export function cleanAttachmentName(name: string | null | undefined, kind: AttachmentKind): string {
  // Names come from clients: no folders, no control characters.
  const cleaned = (name ?? "").split(/[\\/]/).at(-1)!.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 200);
  return cleaned || (kind === "pdf" ? "document.pdf" : "image");
}

/**
 * Stores an uploaded file for its owner to send: refused unless its content is a kind the
 * owner's plan may attach (attachment_type_not_allowed) within the plan's size
 * (attachment_too_large).
 */
export async function uploadAttachment(
  { db, storage, ...limits }: AttachmentDeps & LimitDeps,
  owner: AttachmentOwner,
  { bytes, name }: { bytes: Uint8Array; name?: string | null },
): Promise<AttachmentRef> {
  const policy = ATTACHMENT_POLICIES[owner.tier];
  if (bytes.byteLength === 0) throw new AppError("invalid_request", "The file is empty.");
  if (bytes.byteLength > policy.maxBytes) {
    throw new AppError(
      "attachment_too_large",
      `Attachments can be at most ${formatBytes(policy.maxBytes)} on your plan; this one is ${formatBytes(bytes.byteLength)}.`,
    );
  }
  const content = sniffAttachment(bytes);
  const allowed = (policy.kinds as readonly AttachmentKind[]).map((kind) => KIND_NAMES[kind]).join(" and ");
  if (!content) {
    throw new AppError("attachment_type_not_allowed", `Only ${allowed} (PNG, JPEG, GIF, WebP${policy.kinds.length > 1 ? ", PDF" : ""}) can be attached on your plan.`);
  }
  if (!(policy.kinds as readonly AttachmentKind[]).includes(content.kind)) {
    throw new AppError("attachment_type_not_allowed", `${KIND_NAMES[content.kind]} cannot be attached on your plan: only ${allowed}. Sign up to attach them.`);
  }
  // Counted once the file is known to be one the plan takes: a refused file costs nothing.
  await enforceLimits(limits, "upload", [
    {
      rule: `${owner.tier}.uploads-per-day`,
      identifier: owner.userId,
      mode: "spend",
      refusal: ({ limit, retryAfterSeconds }) => ({
        code: "quota_exceeded",
        message: `You can attach ${limit} files a day on your plan. You can attach more in ${describeWait(retryAfterSeconds)}.`,
      }),
    },
  ]);
  const id = randomBytes(16).toString("base64url");
  const ref: AttachmentRef = {
    id,
    name: cleanAttachmentName(name, content.kind),
    mediaType: content.mediaType,
    size: bytes.byteLength,
    tokens: estimateAttachmentTokens(bytes, content.kind),
  };
  // The bytes first: a row never names an object that is not there.
  await storage.put(id, bytes, content.mediaType);
  try {
    await db.prisma.attachment.create({ data: { ...ref, userId: owner.userId, storageKey: id } });
  } catch (error) {
    await storage.delete([id]).catch(() => undefined);
    throw error;
  }
  return ref;
}

/** An attachment's bytes, for its owner only (not_found for anyone else, as for a missing one). */
export async function readAttachment(
  { db, storage }: AttachmentDeps,
  { id, userId }: { id: string; userId: string },
): Promise<AttachmentRef & { bytes: Uint8Array }> {
  const row = await db.prisma.attachment.findFirst({ where: { id, userId }, select: { ...REF_FIELDS, storageKey: true } });
  const stored = row && (await storage.get(row.storageKey));
  if (!row || !stored) throw notFound("Attachment");
  const { storageKey: _key, ...ref } = row;
  return { ...ref, bytes: stored.bytes };
}

/**
 * The attachments a message refers to, checked before it is accepted: each the sender's and not
 * sent in another chat (not_found otherwise), no more than the plan allows a message
 * (too_many_attachments), each a kind the model reads (model_cannot_read_attachment).
 */
export async function attachmentsForMessage(
  { db, models }: { db: Database; models: Pick<ModelProvider, "attachmentKinds"> },
  { userId, tier, chatId, modelId, ids }: { userId: string; tier: Tier; chatId: string; modelId: string; ids: string[] },
): Promise<AttachmentRef[]> {
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const { perMessage } = ATTACHMENT_POLICIES[tier];
  if (unique.length > perMessage) {
    throw new AppError("too_many_attachments", `A message can carry at most ${perMessage} attachment${perMessage === 1 ? "" : "s"} on your plan.`);
  }
  const rows = await db.prisma.attachment.findMany({ where: { id: { in: unique }, userId }, select: { ...REF_FIELDS, chatId: true } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const refs = unique.map((id) => {
    const row = byId.get(id);
    if (!row || (row.chatId !== null && row.chatId !== chatId)) throw notFound("Attachment");
    const { chatId: _chat, ...ref } = row;
    return ref;
  });
  assertModelReads(models, modelId, refs);
  return refs;
}

/** Refuses, before anything is queued, a model that cannot read one of the attachments it would be sent. */
export function assertModelReads(models: Pick<ModelProvider, "attachmentKinds">, modelId: string, refs: AttachmentRef[]): void {
  const readable = models.attachmentKinds(modelId);
  const unreadable = refs.find((ref) => !readable.includes(attachmentKindOf(ref.mediaType)));
  if (unreadable) {
    const kind = attachmentKindOf(unreadable.mediaType);
    throw new AppError("model_cannot_read_attachment", `The model ${modelId} cannot read ${KIND_NAMES[kind]}: choose a model that can, or remove "${unreadable.name}".`);
  }
}

/**
 * The history a model is sent, without the files it cannot read: a chat may go on with a
 * text-only model after an image. The model asked for was checked when the message was sent
 * (attachmentsForMessage); a fallback model that cannot read the message's own files gets its
 * text alone rather than a call its provider would refuse.
 */
export function withoutUnreadableAttachments(history: ChatUIMessage[], readable: readonly AttachmentKind[]): ChatUIMessage[] {
  return history.map((message) => {
    const parts = message.parts.filter((part) => part.type !== "data-attachment" || readable.includes(attachmentKindOf(part.data.mediaType)));
    return parts.length === message.parts.length ? message : { ...message, parts };
  });
}

/** Records the chat the attachments were sent in: they go when it is deleted. */
export async function markAttachmentsSent(db: Database, { userId, chatId, ids }: { userId: string; chatId: string; ids: string[] }): Promise<void> {
  if (ids.length === 0) return;
  await db.prisma.attachment.updateMany({ where: { id: { in: ids }, userId, chatId: null }, data: { chatId } });
}

/** The bytes of attachments for a model call, by reference; one missing (deleted since) is left out. */
export async function attachmentBytes(storage: ObjectStore, refs: AttachmentRef[]): Promise<Map<string, Uint8Array>> {
  const found = await Promise.all(refs.map(async (ref) => [ref.id, (await storage.get(ref.id))?.bytes] as const));
  return new Map(found.filter((entry): entry is readonly [string, Uint8Array] => entry[1] !== undefined));
}

/** Removes a deleted chat's attachments: their objects, then their rows. */
export async function deleteChatAttachments({ db, storage }: AttachmentDeps, { userId, chatId }: { userId: string; chatId: string }): Promise<void> {
  const rows = await db.prisma.attachment.findMany({ where: { userId, chatId }, select: { storageKey: true } });
  if (rows.length === 0) return;
  await storage.delete(rows.map((row) => row.storageKey));
  await db.prisma.attachment.deleteMany({ where: { userId, chatId } });
}

/**
 * The storage keys of a user's attachments, read before the user is deleted (their rows go with
 * the user, by cascade); `removeObjects` then deletes the bytes.
 */
export async function userAttachmentKeys(db: Database, userId: string): Promise<string[]> {
  return (await db.prisma.attachment.findMany({ where: { userId }, select: { storageKey: true } })).map((row) => row.storageKey);
}

export async function removeObjects(storage: ObjectStore, keys: string[], context: Record<string, unknown>): Promise<void> {
  await storage.delete(keys).catch((error: unknown) => logger.warn({ err: error, ...context }, "could not remove attachments from storage"));
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Number((bytes / 1024 / 1024).toFixed(1))} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
