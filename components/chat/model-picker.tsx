"use client";

import { Select } from "@/components/ui/select";
import { useModelChoice } from "./model-choice";

/** Which model answers; nothing to pick, and so nothing shown, when the server offers one. */
export function ModelPicker() {
  const { models, modelId, setModelId } = useModelChoice();
  if (models.length < 2) return null;
  return (
    <Select
      label="Model"
      testId="model-picker"
      value={modelId}
      options={models.map((model) => ({ value: model.id, label: model.label }))}
      onChange={setModelId}
    />
  );
}
