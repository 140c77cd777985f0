"use client";

import { messageText, type ChatUIMessage } from "@/lib/domain";
import { AssistantMessage } from "./assistant-message";
import { PendingReply } from "./pending-reply";
import type { QueueStatus } from "./queue-status";
import { UserMessage, type Delivery } from "./user-message";
import type { SwitchButton } from "./version-switcher";

export function MessageList({
  messages,
  isBusy,
  queue,
  deliveryOf,
  onRetry,
  onEditLastUserMessage,
  onRegenerate,
  onShowVersion,
}: {
  messages: ChatUIMessage[];
  /** A reply is being requested, queued or streamed. */
  isBusy: boolean;
  queue: QueueStatus | null;
  deliveryOf: (message: ChatUIMessage) => Delivery;
  onRetry: (message: ChatUIMessage) => void;
  onEditLastUserMessage: (messageId: string, text: string) => void;
  onRegenerate: () => void;
  /** Shows another version of a turn (a message id among its versions). */
  onShowVersion: (messageId: string, button: SwitchButton) => void;
}) {
  const last = messages.at(-1);
  const reply = last?.role === "assistant" ? last : undefined;
  const history = reply ? messages.slice(0, -1) : messages;
  const lastUserMessageId = messages.findLast((message) => message.role === "user")?.id;
  const replyHasText = reply !== undefined && messageText(reply).length > 0;

  return (
    <div className="flex flex-col gap-6">
      {history.map((message) =>
        message.role === "user" ? (
          <UserMessage
            key={message.id}
            message={message}
            delivery={deliveryOf(message)}
            canEdit={!isBusy && message.id === lastUserMessageId}
            canSwitchVersion={!isBusy}
            onEdit={(text) => onEditLastUserMessage(message.id, text)}
            onRetry={() => onRetry(message)}
            onShowVersion={onShowVersion}
          />
        ) : (
          <AssistantMessage
            key={message.id}
            message={message}
            isStreaming={false}
            canRegenerate={false}
            canSwitchVersion={!isBusy}
            onRegenerate={onRegenerate}
            onShowVersion={onShowVersion}
          />
        ),
      )}
      {/* The latest reply lives in a live region that exists before it arrives, so it is announced. */}
      <div aria-live="polite">
        {reply && (replyHasText || !isBusy) && (
          <AssistantMessage
            message={reply}
            isStreaming={isBusy}
            canRegenerate={!isBusy}
            canSwitchVersion={!isBusy}
            onRegenerate={onRegenerate}
            onShowVersion={onShowVersion}
          />
        )}
        {isBusy && !replyHasText && <PendingReply queue={queue} />}
      </div>
    </div>
  );
}
