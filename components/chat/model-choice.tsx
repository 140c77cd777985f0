"use client";

import { createContext, use, useEffect, useState, type ReactNode } from "react";
import type { ModelInfo } from "@/lib/ai/models";

const STORAGE_KEY = "stampede:model";

interface ModelChoice {
  models: ModelInfo[];
  modelId: string;
  setModelId: (id: string) => void;
}

const ModelChoiceContext = createContext<ModelChoice | null>(null);

/** The model the visitor picked, remembered across visits while the server still offers it. */
export function ModelChoiceProvider({ models, children }: { models: ModelInfo[]; children: ReactNode }) {
  const [modelId, setModelIdState] = useState(models[0]?.id ?? "");

  useEffect(() => {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored && models.some((model) => model.id === stored)) setModelIdState(stored);
  }, [models]);

  function setModelId(id: string) {
    setModelIdState(id);
    localStorage.setItem(STORAGE_KEY, id);
  }

  return <ModelChoiceContext value={{ models, modelId, setModelId }}>{children}</ModelChoiceContext>;
}

export function useModelChoice(): ModelChoice {
  const choice = use(ModelChoiceContext);
  if (!choice) throw new Error("useModelChoice needs a ModelChoiceProvider");
  return choice;
}
