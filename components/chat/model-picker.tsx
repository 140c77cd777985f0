"use client";

import { useId } from "react";
import { useModelChoice } from "./model-choice";

export function ModelPicker() {
  const { models, modelId, setModelId } = useModelChoice();
  const pickerId = useId();
  return (
    <div className="min-w-0">
      <label htmlFor={pickerId} className="sr-only">
        Model
      </label>
      <select
        id={pickerId}
        data-testid="model-picker"
        value={modelId}
        onChange={(event) => setModelId(event.target.value)}
        className="h-9 w-full max-w-44 truncate rounded-md border border-input bg-background px-2 text-sm sm:max-w-60"
      >
        {models.map((model) => (
          <option key={model.id} value={model.id}>
            {model.label}
          </option>
        ))}
      </select>
    </div>
  );
}
