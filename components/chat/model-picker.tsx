"use client";

import { useId } from "react";
import { ChevronDownIcon } from "@/components/ui/icons";
import { useModelChoice } from "./model-choice";

/** Which model answers; nothing to pick, and so nothing shown, when the server offers one. */
export function ModelPicker() {
  const { models, modelId, setModelId } = useModelChoice();
  const pickerId = useId();
  if (models.length < 2) return null;
  return (
    <div className="relative min-w-0">
      <label htmlFor={pickerId} className="sr-only">
        Model
      </label>
      <select
        id={pickerId}
        data-testid="model-picker"
        value={modelId}
        onChange={(event) => setModelId(event.target.value)}
        className="h-9 w-full max-w-44 cursor-pointer appearance-none truncate rounded-md bg-transparent pr-8 pl-2.5 text-sm font-medium hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring sm:max-w-60"
      >
        {models.map((model) => (
          <option key={model.id} value={model.id}>
            {model.label}
          </option>
        ))}
      </select>
      <ChevronDownIcon className="pointer-events-none absolute top-1/2 right-2.5 -translate-y-1/2 text-muted-foreground" />
    </div>
  );
}
