"use client";

import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { RefreshIcon } from "@/components/ui/icons";
import { messageText, type ChatUIMessage } from "@/lib/domain";
import { Markdown } from "./markdown";
import { ReplyFeedback } from "./reply-feedback";
import { VersionSwitcher, type SwitchButton } from "./version-switcher";

const UNFINISHED_NOTE: Record<string, string> = {
  interrupted: "This reply was interrupted before it finished.",
  stopped: "This reply was stopped.",
  failed: "This reply could not be finished.",
  error: "This reply could not be finished.",
};

export function AssistantMessage({
  message,
  isStreaming,
  canRegenerate,
  canSwitchVersion,
  onRegenerate,
  onShowVersion,
}: {
  message: ChatUIMessage;
  isStreaming: boolean;
  canRegenerate: boolean;
  canSwitchVersion: boolean;
  onRegenerate: () => void;
  onShowVersion: (messageId: string, button: SwitchButton) => void;
}) {
  const text = messageText(message);
  const note = message.metadata?.status ? UNFINISHED_NOTE[message.metadata.status] : undefined;

  return (
    <article data-testid="message-assistant" aria-label="Assistant's reply" data-message-id={message.id} className="flex min-w-0 flex-col gap-1">
      <div data-testid="message-content">
        <Markdown text={text} isStreaming={isStreaming} />
      </div>
      {note && <p className="text-xs text-muted-foreground">{note}</p>}
      {!isStreaming && (
        <div className="flex flex-wrap items-center gap-1">
          {message.metadata?.versions && (
            <VersionSwitcher versions={message.metadata.versions} what="reply" disabled={!canSwitchVersion} onShow={onShowVersion} />
          )}
          <CopyButton text={text} testId="copy-button" />
          {canRegenerate && (
            <Button variant="ghost" size="touch" data-testid="regenerate-button" onClick={onRegenerate}>
              <RefreshIcon />
              <span className="sr-only sm:not-sr-only">Regenerate</span>
            </Button>
          )}
          <ReplyFeedback messageId={message.id} />
        </div>
      )}
    </article>
  );
}
