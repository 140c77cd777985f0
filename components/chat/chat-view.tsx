"use client";

import { useChat } from "@ai-sdk/react";
import { APICallError } from "ai";
import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { ArrowDownIcon } from "@/components/ui/icons";
import { useSecondsUntil } from "@/components/ui/use-seconds-until";
import type { ChatUIMessage } from "@/lib/domain";
import { fetchChatMessages, problemFromError, stopReply, type ApiProblem } from "./chat-api";
import { useChatList } from "./chat-list-context";
import { createChatTransport, type ChatResponseInfo, type SendOptionsBody } from "./chat-transport";
import { Composer } from "./composer";
import { EmptyChat } from "./empty-chat";
import { ErrorBanner } from "./error-banner";
import { MessageList } from "./message-list";
import { useModelChoice } from "./model-choice";
import type { QueueStatus } from "./queue-status";
import { useStickToBottom } from "./use-stick-to-bottom";

/** What a request changed optimistically, so a refused request can be undone. */
interface PendingRequest {
  messagesBefore: ChatUIMessage[];
  /** The text of a new message, given back to the composer if the server refuses it. */
  text?: string;
}

/** Tries in a row to resume a reply stream that keeps breaking before it is given up and reported. */
const MAX_RESUMES = 5;
const RESUME_DELAY_MS = 250;

/** A network failure after the server had answered OK: the reply stream itself broke. */
function isCutConnection(error: Error, lastResponse: ChatResponseInfo | null): boolean {
  return error instanceof TypeError && lastResponse?.ok === true;
}

export function ChatView({
  chatId,
  title,
  initialMessages,
  isNew,
}: {
  chatId: string;
  title: string;
  initialMessages: ChatUIMessage[];
  /** Not on the server yet: its URL and sidebar entry appear once the first message is accepted. */
  isNew: boolean;
}) {
  const { modelId } = useModelChoice();
  const { noteChatActivity } = useChatList();
  const [draft, setDraft] = useState("");
  const [queue, setQueue] = useState<QueueStatus | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [remainingMessages, setRemainingMessages] = useState<number>();
  const secondsUntilRetry = useSecondsUntil(problem?.retryAt);
  const { scrollRef, contentRef, isAtBottom, scrollToBottom } = useStickToBottom();

  const modelIdRef = useRef(modelId);
  const lastResponseRef = useRef<ChatResponseInfo | null>(null);
  const pendingRequestRef = useRef<PendingRequest | null>(null);
  const isOnServerRef = useRef(!isNew);
  const catchUpRef = useRef<() => void>(() => {});
  const onResponseRef = useRef<(info: ChatResponseInfo) => void>(() => {});
  /** The reply stream ended without its end, so the reply shown may be only part of it. */
  const wasCutRef = useRef(false);
  /** Resumes in a row without reaching a reply's end: a cap, so a stream that always breaks is not retried forever. */
  const resumesRef = useRef(0);
  const resumeRef = useRef<() => void>(() => {});
  const [transport] = useState(() =>
    createChatTransport({
      getModel: () => modelIdRef.current,
      onResponse: (info) => onResponseRef.current(info),
      onCut: () => {
        wasCutRef.current = true;
      },
    }),
  );

  useEffect(() => {
    modelIdRef.current = modelId;
  }, [modelId]);

  useEffect(() => {
    onResponseRef.current = (info) => {
      lastResponseRef.current = info;
      if (info.remaining !== undefined) setRemainingMessages(info.remaining);
      if (info.request === "resume" && info.status === 204) catchUpRef.current();
      if (info.request !== "send" || !info.ok) return;
      if (!isOnServerRef.current) {
        isOnServerRef.current = true;
        // Only the address changes: the page stays mounted and keeps streaming.
        window.history.replaceState(null, "", `/chat/${chatId}`);
      }
      noteChatActivity(chatId);
    };
  }, [chatId, noteChatActivity]);

  const { messages, setMessages, sendMessage, regenerate, resumeStream, stop, status, clearError } = useChat<ChatUIMessage>({
    id: chatId,
    messages: initialMessages,
    transport,
    resume: !isNew,
    onData: (part) => {
      if (part.type === "data-queue") setQueue(part.data);
    },
    onError: (error) => {
      const lastResponse = lastResponseRef.current;
      // The connection broke while the reply streamed: onFinish resumes it rather than report it.
      if (isCutConnection(error, lastResponse) && resumesRef.current < MAX_RESUMES) return;
      // A reply that ended between loading the page and resuming it is nothing to report.
      if (lastResponse?.request === "resume" && lastResponse.status === 404) return;
      setProblem(problemFromError(error, lastResponse ?? undefined));
      const pending = pendingRequestRef.current;
      // An error response means the server refused the request and stored nothing: undo it here too.
      if (pending && APICallError.isInstance(error)) {
        setMessages(pending.messagesBefore);
        if (pending.text) setDraft((current) => current || pending.text!);
      }
    },
    onFinish: ({ isAbort, isDisconnect }) => {
      setQueue(null);
      pendingRequestRef.current = null;
      const cut = !isAbort && (wasCutRef.current || isDisconnect);
      wasCutRef.current = false;
      if (!cut || resumesRef.current >= MAX_RESUMES) {
        resumesRef.current = 0;
        return;
      }
      resumesRef.current += 1;
      // After this request has wound down, and a little later at each try in a row.
      setTimeout(() => resumeRef.current(), RESUME_DELAY_MS * resumesRef.current);
    },
  });

  useEffect(() => {
    resumeRef.current = () => void resumeStream();
  }, [resumeStream]);

  const isBusy = status === "submitted" || status === "streaming";

  useEffect(() => {
    // A reply that ended between rendering the page and resuming it is in neither: the page was
    // rendered without it and there is no stream left to resume. Fetch it from the history.
    catchUpRef.current = () => {
      // A reply cut short that ended meanwhile is on the server in full: fetched like a missing one.
      const wasCut = resumesRef.current > 0;
      resumesRef.current = 0;
      if (messages.at(-1)?.role !== "user" && !wasCut) return;
      fetchChatMessages(chatId)
        .then((latest) => setMessages((current) => (wasCut || current.at(-1)?.role === "user" ? latest : current)))
        .catch((error: unknown) => setProblem(problemFromError(error)));
    };
  }, [chatId, messages, setMessages]);

  useEffect(() => {
    if (problem?.retryAt !== undefined && secondsUntilRetry === 0) setProblem(null);
  }, [problem, secondsUntilRetry]);

  function beginRequest(request: PendingRequest) {
    pendingRequestRef.current = request;
    setProblem(null);
    setQueue(null);
    clearError();
    scrollToBottom();
  }

  function send(text: string) {
    beginRequest({ messagesBefore: messages, text });
    setDraft("");
    void sendMessage({ text, metadata: { createdAt: Date.now() } });
  }

  function editAndResend(messageId: string, text: string) {
    const index = messages.findIndex((message) => message.id === messageId);
    if (index === -1) return;
    beginRequest({ messagesBefore: messages });
    setMessages(messages.slice(0, index));
    const body: SendOptionsBody = { editOf: messageId };
    void sendMessage({ text, metadata: { createdAt: Date.now() } }, { body });
  }

  function regenerateReply() {
    beginRequest({ messagesBefore: messages });
    void regenerate();
  }

  function stopGenerating() {
    void stop();
    // Aborting this tab's stream does not stop the reply on the server, which may run elsewhere.
    stopReply(chatId).catch((error: unknown) => {
      const stopProblem = problemFromError(error);
      // Not found: the reply had already ended, so there was nothing left to stop.
      if (stopProblem.status !== 404) setProblem(stopProblem);
    });
  }

  return (
    <div className="flex h-full min-h-0 flex-col">
      <h1 className="sr-only">{title}</h1>
      <div ref={scrollRef} className="relative min-h-0 flex-1 overflow-x-hidden overflow-y-auto">
        <div ref={contentRef} className="mx-auto w-full max-w-3xl px-4 py-6">
          {messages.length === 0 && !isBusy ? (
            <EmptyChat />
          ) : (
            <MessageList
              messages={messages}
              isBusy={isBusy}
              queue={queue}
              onEditLastUserMessage={editAndResend}
              onRegenerate={regenerateReply}
            />
          )}
        </div>
      </div>
      <div className="relative mx-auto flex w-full max-w-3xl flex-col gap-2 px-4 pt-2 pb-4">
        {!isAtBottom && (
          <Button
            variant="secondary"
            size="icon"
            className="absolute -top-11 left-1/2 -translate-x-1/2 rounded-full shadow-sm"
            aria-label="Scroll to the latest message"
            onClick={scrollToBottom}
          >
            <ArrowDownIcon />
          </Button>
        )}
        {problem && (
          <ErrorBanner
            problem={problem}
            secondsUntilRetry={secondsUntilRetry}
            onDismiss={() => {
              setProblem(null);
              clearError();
            }}
          />
        )}
        <Composer
          value={draft}
          onChange={setDraft}
          onSend={send}
          onStop={stopGenerating}
          isBusy={isBusy}
          secondsUntilRetry={secondsUntilRetry}
          remainingMessages={remainingMessages}
        />
      </div>
    </div>
  );
}
