"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { problemFromError } from "@/components/chat/chat-api";
import { Select } from "@/components/ui/select";
import { chooseChatInstructions, fetchChatInstructions, fetchPresets, type ChatInstructions, type InstructionPreset } from "./instructions-api";

/**
 * Which custom instructions the chat sends with its messages: the account's default, none, or a
 * preset. A new chat may choose before its first message (the server keeps the choice for its id).
 */
export function InstructionsPicker({ chatId }: { chatId: string }) {
  const [presets, setPresets] = useState<InstructionPreset[]>();
  const [chosen, setChosen] = useState<ChatInstructions>();
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    let current = true;
    Promise.all([fetchPresets(), fetchChatInstructions(chatId)])
      .then(([all, choice]) => {
        if (!current) return;
        setPresets(all);
        setChosen(choice);
      })
      .catch((error: unknown) => current && setProblem(problemFromError(error).message));
    return () => {
      current = false;
    };
  }, [chatId]);

  function choose(preset: string) {
    setProblem(undefined);
    chooseChatInstructions(chatId, preset)
      .then(setChosen)
      .catch((error: unknown) => setProblem(problemFromError(error).message));
  }

  if (!presets || !chosen) return problem ? <p className="text-xs text-muted-foreground">{problem}</p> : null;
  const fallback = presets.find((preset) => preset.isDefault);
  const value = chosen.choice === "preset" && chosen.preset ? chosen.preset.id : chosen.choice;
  return (
    <div className="flex min-w-0 items-center gap-1 text-xs text-muted-foreground">
      <span aria-hidden="true">Instructions:</span>
      <Select
        label="Instructions"
        testId="instructions-picker"
        value={value}
        options={[
          { value: "default", label: fallback ? `Default (${fallback.name})` : "Default (none set)" },
          { value: "none", label: "None" },
          ...presets.map((preset) => ({ value: preset.id, label: preset.name })),
        ]}
        onChange={choose}
      />
      <Link href="/account/instructions" className="underline-offset-4 hover:underline">
        Edit
      </Link>
      {problem && <span role="alert">{problem}</span>}
    </div>
  );
}
