"use client";

import { useChat } from "@ai-sdk/react";
import { APICallError } from "ai";
import { useEffect, useRef, useState } from "react";
import { InstructionsPicker } from "@/components/instructions/instructions-picker";
import { notifyReplyStarted } from "@/components/pwa/reply-notifications";
import { Button } from "@/components/ui/button";
import { ArrowDownIcon } from "@/components/ui/icons";
import { useSecondsUntil } from "@/components/ui/use-seconds-until";
import { messageAttachments, messageText, type AttachmentRef, type ChatUIMessage } from "@/lib/domain";
import { useAccount } from "./account-status";
import { fetchChatMessages, problemFromError, showMessageVersion, stopReply, type ApiProblem } from "./chat-api";
import { useChatList } from "./chat-list-context";
import { createChatTransport, type ChatResponseInfo, type SendOptionsBody } from "./chat-transport";
import { Composer } from "./composer";
import { EmptyChat } from "./empty-chat";
import { ErrorBanner } from "./error-banner";
import { MessageList } from "./message-list";
import { ReplyFeedbackProvider } from "./reply-feedback";
import { useModelChoice } from "./model-choice";
import type { QueueStatus } from "./queue-status";
import { useGuestSession } from "./start-guest-session";
import { useDraft } from "./use-draft";
import { useStickToBottom } from "./use-stick-to-bottom";
import type { SwitchButton } from "./version-switcher";

/** What a request changed optimistically, so a refused request can be undone. */
interface PendingRequest {
  messagesBefore: ChatUIMessage[];
  /** The text of a new message, given back to the composer if the server refuses it. */
  text?: string;
  /** Its files, given back with it (a model that cannot read them is refused: pick another, send again). */
  attachments?: AttachmentRef[];
}

/** Tries in a row to resume a reply stream that keeps breaking before it is given up and reported. */
const MAX_RESUMES = 5;
const RESUME_DELAY_MS = 250;
/**
 * After a chat's first reply, its title is written by a job of its own (lib/titles) a moment
 * later, or not at all while others wait: the list's titles are read again at these delays.
 */
const TITLE_CHECK_DELAYS_MS = [1_000, 3_000, 8_000];

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
  const account = useAccount();
  const guestSession = useGuestSession();
  const { chats: listedChats, noteChatActivity, noteMessagesChanged, onMessagesChangedElsewhere, refreshTitles } = useChatList();
  const titleChecksRef = useRef<ReturnType<typeof setTimeout>[]>([]);
  useEffect(() => () => titleChecksRef.current.forEach(clearTimeout), []);
  // A rename (here or in another tab) reaches the list first; the page's own title is as loaded.
  const shownTitle = listedChats.find((chat) => chat.id === chatId)?.title.trim() || title;
  const [draftKey, setDraftKey] = useState(isNew ? "new" : chatId);
  const [draft, setDraft] = useDraft(draftKey);
  /** Files attached in the composer, not sent yet. */
  const [attachments, setAttachments] = useState<AttachmentRef[]>([]);
  /** A send whose POST never reached the server (the network failed): its message shows as not sent. */
  const [unsent, setUnsent] = useState<PendingRequest | null>(null);
  /** Whether the server has answered the latest message's POST; until then it shows as sending. */
  const [isSendAnswered, setIsSendAnsweredState] = useState(true);
  // The same, for onError: a send that fails at once may fail before the state above re-rendered.
  const isSendAnsweredRef = useRef(true);
  const setIsSendAnswered = (answered: boolean) => {
    isSendAnsweredRef.current = answered;
    setIsSendAnsweredState(answered);
  };
  const [queue, setQueue] = useState<QueueStatus | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [remainingMessages, setRemainingMessages] = useState<number>();
  const secondsUntilRetry = useSecondsUntil(problem?.retryAt);
  const { scrollRef, contentRef, isAtBottom, scrollToBottom } = useStickToBottom();

  const modelIdRef = useRef(modelId);
  const lastResponseRef = useRef<ChatResponseInfo | null>(null);
  const pendingRequestRef = useRef<PendingRequest | null>(null);
  /** `unsent`, for callbacks that outlive the render they were made in. */
  const unsentRef = useRef<PendingRequest | null>(null);
  const isOnServerRef = useRef(!isNew);
  const catchUpRef = useRef<() => void>(() => {});
  const onResponseRef = useRef<(info: ChatResponseInfo) => void>(() => {});
  /** The reply stream ended without its end, so the reply shown may be only part of it. */
  const wasCutRef = useRef(false);
  /**
   * A reply was asked for and none of its text has arrived yet (its start may be worth a
   * notification): the id of the reply shown before it, which is not the one awaited.
   */
  const awaitingReplyAfterRef = useRef<string | null | undefined>(undefined);
  /** Resumes in a row without reaching a reply's end: a cap, so a stream that always breaks is not retried forever. */
  const resumesRef = useRef(0);
  const resumeRef = useRef<() => void>(() => {});
  /** A regeneration or an edit is under way: once its reply ends, the chat is read again to show its versions. */
  const makesVersionRef = useRef(false);
  /** The version switch a person just used: focus goes back to it once the new version shows. */
  const switchedToRef = useRef<{ messageId: string; button: SwitchButton } | null>(null);
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
      if (info.request !== "send") return;
      setIsSendAnswered(true);
      if (!info.ok) return;
      if (!isOnServerRef.current) {
        isOnServerRef.current = true;
        setDraftKey(chatId);
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
        if (pending.attachments?.length) setAttachments((current) => (current.length > 0 ? current : pending.attachments!));
      } else if (pending?.text !== undefined && !isSendAnsweredRef.current) {
        // The POST never got an answer: the message stays, marked not sent, with a retry; its text
        // goes back to the composer too (and so to the saved draft), should the page be reloaded.
        setUnsent(pending);
        setIsSendAnswered(true);
        setDraft((current) => current || pending.text!);
      }
    },
    onFinish: ({ messages: finished, isAbort, isDisconnect, isError }) => {
      setQueue(null);
      // A reply that came whole at once (from the reply cache) ends before the page renders it.
      announceReplyStartRef.current(finished);
      // One stopped or failed before its first words: nothing started.
      awaitingReplyAfterRef.current = undefined;
      pendingRequestRef.current = null;
      const cut = !isAbort && (wasCutRef.current || isDisconnect);
      wasCutRef.current = false;
      if (!isAbort && !isError && !cut) {
        // The reply is stored before its stream ends, so a read of the chat now has it: here for
        // the new version's switcher, and in other tabs with the chat open for the whole turn.
        if (makesVersionRef.current) {
          fetchChatMessages(chatId)
            .then(setMessages)
            .catch((error: unknown) => setProblem(problemFromError(error)));
        }
        noteMessagesChanged(chatId);
        if (finished.filter((message) => message.role === "user").length === 1) {
          titleChecksRef.current.forEach(clearTimeout);
          titleChecksRef.current = TITLE_CHECK_DELAYS_MS.map((delay) => setTimeout(refreshTitles, delay));
        }
      }
      makesVersionRef.current = false;
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

  /** Announces the awaited reply's start once its first words are in `messages`. */
  const announceReplyStartRef = useRef((_messages: ChatUIMessage[]) => {});
  useEffect(() => {
    announceReplyStartRef.current = (current) => {
      const last = current.at(-1);
      const before = awaitingReplyAfterRef.current;
      if (before === undefined || last?.role !== "assistant" || last.id === before || textLength(last) === 0) return;
      awaitingReplyAfterRef.current = undefined;
      const asked = current.findLast((message) => message.role === "user");
      notifyReplyStarted({ chatId, message: asked ? messageText(asked) : title });
    };
  }, [chatId, title]);

  useEffect(() => announceReplyStartRef.current(messages), [messages]);

  const isBusy = status === "submitted" || status === "streaming";
  const sentBefore = new Set(unsent?.messagesBefore.map((message) => message.id));
  const unsentIds = new Set(
    unsent ? messages.filter((message) => message.role === "user" && !sentBefore.has(message.id)).map((message) => message.id) : [],
  );

  useEffect(() => {
    // A reply that ended between rendering the page and resuming it is in neither: the page was
    // rendered without it and there is no stream left to resume. Fetch it from the history.
    catchUpRef.current = () => {
      // A reply cut short that ended meanwhile is on the server in full: fetched like a missing one.
      const wasCut = resumesRef.current > 0;
      resumesRef.current = 0;
      if (messages.at(-1)?.role !== "user" && !wasCut) return;
      // A message this tab sent meanwhile, or is sending, may not be in the read yet: replacing the
      // list with it would take that message off the screen. Its own request brings the chat up to date.
      const ownMessageInFlight = () => pendingRequestRef.current !== null || unsentRef.current !== null;
      if (ownMessageInFlight()) return;
      fetchChatMessages(chatId)
        .then((latest) => setMessages((current) => (!ownMessageInFlight() && (wasCut || current.at(-1)?.role === "user") ? latest : current)))
        .catch((error: unknown) => setProblem(problemFromError(error)));
    };
  }, [chatId, messages, setMessages]);

  useEffect(() => {
    unsentRef.current = unsent;
  }, [unsent]);

  useEffect(() => {
    if (problem?.retryAt !== undefined && secondsUntilRetry === 0) setProblem(null);
  }, [problem, secondsUntilRetry]);

  function beginRequest(request: PendingRequest) {
    pendingRequestRef.current = request;
    awaitingReplyAfterRef.current = messages.findLast((message) => message.role === "assistant")?.id ?? null;
    // This request's answer is yet to come: an earlier one's must not make a connection that
    // never opened look like a reply stream cut mid-way (which is resumed, not reported).
    lastResponseRef.current = null;
    setProblem(null);
    setQueue(null);
    clearError();
    scrollToBottom();
  }

  /** Sends a new message; `clearDraft` false when the composer holds other text (a retry). */
  function send(text: string, attachments: AttachmentRef[], clearDraft = true) {
    // A message not sent is sent anew or given up for this one; left, it would look like a ghost.
    const sent = unsentIds.size > 0 ? messages.filter((message) => !unsentIds.has(message.id)) : messages;
    if (sent !== messages) setMessages(sent);
    setUnsent(null);
    beginRequest({ messagesBefore: sent, text, attachments });
    setIsSendAnswered(false);
    if (clearDraft) {
      setDraft("");
      setAttachments([]);
    }
    void sendMessage({ parts: messageParts(text, attachments), metadata: { createdAt: Date.now() } });
  }

  /** Sends a message that did not reach the server again, as a new message with the same text. */
  function retryUnsent(message: ChatUIMessage) {
    const text = messageText(message);
    // Its text went back to the composer when it failed; once sent, it is no draft anymore.
    send(text, messageAttachments(message), draft.trim() === text);
  }

  function editAndResend(messageId: string, text: string) {
    const index = messages.findIndex((message) => message.id === messageId);
    if (index === -1) return;
    beginRequest({ messagesBefore: messages });
    makesVersionRef.current = true;
    setIsSendAnswered(false);
    setMessages(messages.slice(0, index));
    const body: SendOptionsBody = { editOf: messageId };
    // The new version keeps the files of the one it replaces.
    void sendMessage({ parts: messageParts(text, messageAttachments(messages[index])), metadata: { createdAt: Date.now() } }, { body });
  }

  function regenerateReply() {
    beginRequest({ messagesBefore: messages });
    makesVersionRef.current = true;
    void regenerate();
  }

  function showVersion(messageId: string, button: SwitchButton) {
    setProblem(null);
    showMessageVersion(chatId, messageId)
      .then((shown) => {
        switchedToRef.current = { messageId, button };
        setMessages(shown);
        noteMessagesChanged(chatId);
      })
      .catch((error: unknown) => setProblem(problemFromError(error)));
  }

  const isBusyRef = useRef(isBusy);
  useEffect(() => {
    isBusyRef.current = isBusy;
  }, [isBusy]);

  // Another tab changed this chat (a reply ended there, a version was made or switched): it is
  // stored, so reading the chat shows it. A tab streaming a reply keeps what it shows rather than
  // swap messages under the stream.
  useEffect(
    () =>
      onMessagesChangedElsewhere((changedChatId) => {
        if (changedChatId !== chatId || isBusyRef.current) return;
        fetchChatMessages(chatId)
          .then(setMessages)
          .catch((error: unknown) => setProblem(problemFromError(error)));
      }),
    [chatId, onMessagesChangedElsewhere, setMessages],
  );

  useEffect(() => {
    // The turn now shows another message, so its switcher is a new element: focus is put back on
    // the button used, or on the other one once that end is reached.
    const switched = switchedToRef.current;
    if (!switched) return;
    switchedToRef.current = null;
    const buttons = document.querySelectorAll<HTMLButtonElement>(`[data-message-id="${CSS.escape(switched.messageId)}"] [data-testid$="-version"]`);
    const [previous, next] = [...buttons];
    const used = switched.button === "previous" ? previous : next;
    (used && !used.disabled ? used : switched.button === "previous" ? next : previous)?.focus();
  }, [messages]);

  function stopGenerating() {
    void stop();
    const last = messages.at(-1);
    const streaming = last?.role === "assistant" ? last : undefined;
    if (streaming) {
      // The reply as this render showed it, not as the chat's state may hold it by now (chunks it
      // took in since): that is the length the stop reports, and where the stored reply is cut.
      setMessages((current) =>
        current.map((message) =>
          message.id === streaming.id ? { ...streaming, metadata: { createdAt: Date.now(), ...streaming.metadata, status: "stopped" } } : message,
        ),
      );
    }
    // Aborting this tab's stream does not stop the reply on the server, which may run elsewhere.
    stopReply(chatId, streaming ? textLength(streaming) : 0).catch((error: unknown) => {
      const stopProblem = problemFromError(error);
      // Not found: the reply had already ended, so there was nothing left to stop.
      if (stopProblem.status !== 404) setProblem(stopProblem);
    });
  }

  return (
    <div className="flex h-full min-h-0 flex-col">
      <h1 className="sr-only">{shownTitle}</h1>
      <div ref={scrollRef} className="relative min-h-0 flex-1 overflow-x-hidden overflow-y-auto">
        <div ref={contentRef} className="mx-auto w-full max-w-3xl px-4 py-6">
          {messages.length === 0 && !isBusy ? (
            <EmptyChat canPick={guestSession.isReady} onPick={(prompt) => send(prompt, [], false)} />
          ) : (
            <ReplyFeedbackProvider chatId={chatId} isNew={isNew}>
              <MessageList
                messages={messages}
                isBusy={isBusy}
                queue={queue}
                deliveryOf={(message) =>
                  unsentIds.has(message.id)
                    ? "not-sent"
                    : !isSendAnswered && message.id === messages.findLast((m) => m.role === "user")?.id
                      ? "sending"
                      : "sent"
                }
                onRetry={retryUnsent}
                onEditLastUserMessage={editAndResend}
                onRegenerate={regenerateReply}
                onShowVersion={showVersion}
              />
            </ReplyFeedbackProvider>
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
            isGuest={account.isGuest}
            onDismiss={() => {
              setProblem(null);
              clearError();
            }}
          />
        )}
        {!account.isGuest && <InstructionsPicker chatId={chatId} />}
        <Composer
          value={draft}
          onChange={setDraft}
          attachments={attachments}
          onAttachmentsChange={setAttachments}
          onSend={send}
          onStop={stopGenerating}
          isBusy={isBusy}
          hasSession={guestSession.isReady}
          secondsUntilRetry={secondsUntilRetry}
          // While a limit counts down, the banner says when sending is possible again; a count of
          // messages left beside it would read as a contradiction.
          remainingMessages={secondsUntilRetry > 0 ? undefined : remainingMessages}
        />
      </div>
    </div>
  );
}

/** A user message's parts: its text (if any), then its attachments' references. */
function messageParts(text: string, attachments: AttachmentRef[]): ChatUIMessage["parts"] {
  return [...(text ? [{ type: "text" as const, text }] : []), ...attachments.map((data) => ({ type: "data-attachment" as const, data }))];
}

/** Characters of a reply's text as the chat shows it so far. */
function textLength(message: ChatUIMessage): number {
  return message.parts.reduce((length, part) => length + (part.type === "text" ? part.text.length : 0), 0);
}
