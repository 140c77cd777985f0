"use client";

import { useCallback, useEffect, useRef, useState } from "react";

/** Within this many pixels of the end still counts as "reading the latest". */
const BOTTOM_SLACK_PX = 64;

/**
 * Keeps a scroll container pinned to its end while its content grows (streaming text, code that
 * highlights late), until the reader scrolls up; scrolling back down re-pins it.
 */
export function useStickToBottom() {
  const scrollRef = useRef<HTMLDivElement>(null);
  const contentRef = useRef<HTMLDivElement>(null);
  const pinnedRef = useRef(true);
  const [isAtBottom, setIsAtBottom] = useState(true);

  useEffect(() => {
    const scroller = scrollRef.current;
    const content = contentRef.current;
    if (!scroller || !content) return;

    const onScroll = () => {
      const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= BOTTOM_SLACK_PX;
      pinnedRef.current = atBottom;
      setIsAtBottom(atBottom);
    };
    const onResize = () => {
      if (pinnedRef.current) scroller.scrollTop = scroller.scrollHeight;
    };
    const observer = new ResizeObserver(onResize);
    observer.observe(content);
    scroller.addEventListener("scroll", onScroll, { passive: true });
    return () => {
      observer.disconnect();
      scroller.removeEventListener("scroll", onScroll);
    };
  }, []);

  const scrollToBottom = useCallback(() => {
    const scroller = scrollRef.current;
    if (!scroller) return;
    pinnedRef.current = true;
    setIsAtBottom(true);
    scroller.scrollTop = scroller.scrollHeight;
  }, []);

  return { scrollRef, contentRef, isAtBottom, scrollToBottom };
}
