"use client";

import { CloseIcon, FileIcon } from "@/components/ui/icons";
import type { AttachmentRef } from "@/lib/domain";
import { attachmentUrl } from "./chat-api";

/**
 * A message's attachments as the chat shows them: images as thumbnails, PDFs as a named link
 * (served as a download). In the composer each has a Remove button before it is sent.
 */
export function AttachmentChips({ attachments, onRemove }: { attachments: AttachmentRef[]; onRemove?: (id: string) => void }) {
  if (attachments.length === 0) return null;
  return (
    <ul className="flex max-w-[85%] flex-wrap justify-end gap-2" aria-label="Attachments">
      {attachments.map((attachment) => (
        <li key={attachment.id} data-testid="attachment" data-media-type={attachment.mediaType} className="relative">
          <a
            href={attachmentUrl(attachment.id)}
            target="_blank"
            rel="noopener"
            title={attachment.name}
            className="flex items-center gap-2 rounded-xl border border-input bg-background p-1 pr-3 text-sm hover:bg-muted"
          >
            {attachment.mediaType.startsWith("image/") ? (
              <img src={attachmentUrl(attachment.id)} alt={attachment.name} className="size-12 rounded-lg object-cover" />
            ) : (
              <span className="flex size-12 items-center justify-center rounded-lg bg-muted" aria-hidden>
                <FileIcon />
              </span>
            )}
            <span className="max-w-40 truncate">{attachment.name}</span>
          </a>
          {onRemove && (
            <button
              type="button"
              onClick={() => onRemove(attachment.id)}
              aria-label={`Remove ${attachment.name}`}
              className="absolute -top-2 -right-2 rounded-full border border-input bg-background p-0.5 hover:bg-muted [&_svg]:size-3"
            >
              <CloseIcon />
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
