"use client";

import { createContext, use, useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { ThumbDownIcon, ThumbUpIcon } from "@/components/ui/icons";
import type { ReplyFeedback as GivenFeedback } from "@/lib/feedback/feedback";
import { FEEDBACK_COMMENT_MAX_LENGTH, type Rating } from "@/lib/feedback/schemas";
import { problemFromError, request } from "./chat-api";

interface ChatFeedback {
  given: ReadonlyMap<string, GivenFeedback>;
  give: (messageId: string, rating: Rating, comment?: string) => Promise<void>;
}

const FeedbackContext = createContext<ChatFeedback | null>(null);

function feedbackUrl(chatId: string, messageId?: string): string {
  const chat = `/api/chats/${encodeURIComponent(chatId)}`;
  return messageId === undefined ? `${chat}/feedback` : `${chat}/messages/${encodeURIComponent(messageId)}/feedback`;
}

/** The viewer's feedback on this chat's replies: read once for a chat already on the server. */
export function ReplyFeedbackProvider({ chatId, isNew, children }: { chatId: string; isNew: boolean; children: ReactNode }) {
  const [given, setGiven] = useState<ReadonlyMap<string, GivenFeedback>>(new Map());

  useEffect(() => {
    if (isNew) return;
    let current = true;
    request(feedbackUrl(chatId), { cache: "no-store" })
      .then((response) => response.json() as Promise<{ feedback: GivenFeedback[] }>)
      .then(({ feedback }) => current && setGiven(new Map(feedback.map((entry) => [entry.messageId, entry]))))
      // Feedback is an extra: a chat whose earlier ratings cannot be read still works.
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [chatId, isNew]);

  async function give(messageId: string, rating: Rating, comment?: string) {
    const response = await request(feedbackUrl(chatId, messageId), {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rating, ...(comment !== undefined && { comment }) }),
    });
    const { feedback } = (await response.json()) as { feedback: GivenFeedback };
    setGiven((current) => new Map(current).set(messageId, feedback));
  }

  return <FeedbackContext value={{ given, give }}>{children}</FeedbackContext>;
}

/** Thumbs up or down on a reply, and a comment once rated; changed by rating again. */
export function ReplyFeedback({ messageId }: { messageId: string }) {
  const chat = use(FeedbackContext);
  const commentId = useId();
  const mine = chat?.given.get(messageId);
  const [isCommenting, setIsCommenting] = useState(false);
  const [comment, setComment] = useState("");
  const [status, setStatus] = useState<string>();
  if (!chat) return null;

  async function send(rating: Rating, withComment?: string) {
    setStatus(undefined);
    try {
      await chat!.give(messageId, rating, withComment);
      setStatus("Thanks for your feedback.");
      return true;
    } catch (error) {
      setStatus(problemFromError(error).message);
      return false;
    }
  }

  function rate(rating: Rating) {
    setComment(mine?.comment ?? "");
    setIsCommenting(true);
    void send(rating, mine?.comment ?? undefined);
  }

  async function submitComment(event: FormEvent) {
    event.preventDefault();
    if (mine && (await send(mine.rating, comment.trim()))) setIsCommenting(false);
  }

  return (
    <>
      <Button variant="ghost" size="touch" aria-label="Good reply" aria-pressed={mine?.rating === "up"} data-testid="feedback-up" onClick={() => rate("up")}>
        <ThumbUpIcon className={mine?.rating === "up" ? "text-foreground" : undefined} />
      </Button>
      <Button variant="ghost" size="touch" aria-label="Bad reply" aria-pressed={mine?.rating === "down"} data-testid="feedback-down" onClick={() => rate("down")}>
        <ThumbDownIcon className={mine?.rating === "down" ? "text-foreground" : undefined} />
      </Button>
      <span role="status" className="text-xs text-muted-foreground" data-testid="feedback-status">
        {status}
      </span>
      {isCommenting && mine && (
        <form onSubmit={submitComment} className="flex w-full items-center gap-2" data-testid="feedback-comment-form">
          <label htmlFor={commentId} className="sr-only">
            What made this reply {mine.rating === "up" ? "good" : "bad"}? (optional)
          </label>
          <input
            id={commentId}
            data-testid="feedback-comment"
            maxLength={FEEDBACK_COMMENT_MAX_LENGTH}
            value={comment}
            placeholder="Tell us more (optional)"
            onChange={(event) => setComment(event.target.value)}
            className="h-9 min-w-0 flex-1 rounded-md border border-input bg-background px-2 text-sm focus-visible:outline-2 focus-visible:outline-ring"
          />
          <Button type="submit" size="sm" data-testid="feedback-comment-send">
            Send
          </Button>
        </form>
      )}
    </>
  );
}
