"use client";

import { useEffect, useId, useState, type FormEvent } from "react";
import { problemFromError } from "@/components/chat/chat-api";
import { Field } from "@/components/auth/field";
import { Button } from "@/components/ui/button";
import { INSTRUCTION_LIMITS } from "@/lib/instructions/limits";
import { createPreset, deletePreset, fetchPresets, updatePreset, type InstructionPreset } from "./instructions-api";

const fieldClasses = "rounded-md border border-input bg-background px-3 py-2 text-base sm:text-sm";

/** The account's custom instructions: add, rename, edit, make the default, delete. */
export function InstructionsSettings() {
  const [presets, setPresets] = useState<InstructionPreset[]>();
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    fetchPresets()
      .then(setPresets)
      .catch((error: unknown) => setProblem(problemFromError(error).message));
  }, []);

  /** Runs a change and reads the list again: making one preset the default changes another. */
  async function change(work: () => Promise<unknown>): Promise<boolean> {
    setProblem(undefined);
    try {
      await work();
      setPresets(await fetchPresets());
      return true;
    } catch (error) {
      setProblem(problemFromError(error).message);
      return false;
    }
  }

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Custom instructions</h1>
        <p className="text-sm text-muted-foreground">
          Sent to the model with every message of a chat that uses them. New chats use your default; pick another set, or none,
          in the chat. Up to {INSTRUCTION_LIMITS.maxPresets} sets of {INSTRUCTION_LIMITS.maxTextLength.toLocaleString("en-US")} characters.
        </p>
      </div>
      {problem && (
        <p role="alert" data-testid="instructions-problem" className="rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm">
          {problem}
        </p>
      )}
      {presets === undefined ? (
        <p className="text-sm text-muted-foreground">Loading…</p>
      ) : (
        <ul className="flex flex-col gap-4" data-testid="instruction-presets">
          {presets.map((preset) => (
            <li key={preset.id}>
              <PresetEditor preset={preset} onChange={change} />
            </li>
          ))}
          {presets.length === 0 && <li className="text-sm text-muted-foreground">No instructions yet.</li>}
        </ul>
      )}
      <NewPreset onCreate={(input) => change(() => createPreset(input))} />
    </div>
  );
}

/** A preset's name and text, as form fields named `name` and `text` (read by presetFromForm). */
function PresetFields({ preset }: { preset?: InstructionPreset }) {
  const nameId = useId();
  const textId = useId();
  return (
    <>
      <Field id={nameId} label="Name" name="name" type="text" autoComplete="off" defaultValue={preset?.name} />
      <label htmlFor={textId} className="text-sm font-medium">
        Instructions
      </label>
      <textarea id={textId} name="text" required rows={4} maxLength={INSTRUCTION_LIMITS.maxTextLength} defaultValue={preset?.text} className={fieldClasses} />
    </>
  );
}

function presetFromForm(form: HTMLFormElement): { name: string; text: string } {
  const data = new FormData(form);
  return { name: String(data.get("name") ?? "").trim(), text: String(data.get("text") ?? "").trim() };
}

function NewPreset({ onCreate }: { onCreate: (input: { name: string; text: string; isDefault: boolean }) => Promise<boolean> }) {
  const defaultId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const isDefault = new FormData(form).get("isDefault") === "on";
    if (await onCreate({ ...presetFromForm(form), isDefault })) form.reset();
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-2 rounded-lg border border-border p-4" data-testid="new-preset">
      <h2 className="font-medium">Add instructions</h2>
      <PresetFields />
      <div className="flex items-center gap-2">
        <input id={defaultId} name="isDefault" type="checkbox" data-testid="preset-default" />
        <label htmlFor={defaultId} className="text-sm">
          Use for new chats (default)
        </label>
      </div>
      <Button type="submit" variant="primary" className="self-start" data-testid="preset-add">
        Add
      </Button>
    </form>
  );
}

function PresetEditor({ preset, onChange }: { preset: InstructionPreset; onChange: (work: () => Promise<unknown>) => Promise<boolean> }) {
  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const changes = presetFromForm(event.currentTarget);
    void onChange(() => updatePreset(preset.id, changes));
  }

  return (
    <form onSubmit={save} className="flex flex-col gap-2 rounded-lg border border-border p-4" data-testid="preset" aria-label={`Instructions: ${preset.name}`}>
      <div className="flex items-center gap-2">
        <h2 className="min-w-0 truncate font-medium">{preset.name}</h2>
        {preset.isDefault && <span className="rounded-full border border-border px-2 py-0.5 text-xs text-muted-foreground">Default</span>}
      </div>
      {/* Keyed by the saved version, so the fields show what was saved once the list is read again. */}
      <PresetFields key={preset.updatedAt} preset={preset} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" data-testid="preset-save">
          Save
        </Button>
        <Button onClick={() => void onChange(() => updatePreset(preset.id, { isDefault: !preset.isDefault }))} data-testid="preset-toggle-default">
          {preset.isDefault ? "Stop using as default" : "Make default"}
        </Button>
        <Button variant="ghost" onClick={() => void onChange(() => deletePreset(preset.id))} data-testid="preset-delete">
          Delete
        </Button>
      </div>
    </form>
  );
}
