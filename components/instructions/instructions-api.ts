/** The browser's calls to the custom-instructions API (README: Custom instructions). */
import { request } from "@/components/chat/chat-api";
import type { ChatInstructions, InstructionPreset } from "@/lib/instructions/instructions";

export type { ChatInstructions, InstructionPreset };

async function call<T>(url: string, init?: { method?: string; json?: unknown }): Promise<T> {
  const response = await request(url, {
    cache: "no-store",
    method: init?.method,
    ...(init?.json !== undefined && { body: JSON.stringify(init.json), headers: { "Content-Type": "application/json" } }),
  });
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export async function fetchPresets(): Promise<InstructionPreset[]> {
  return (await call<{ presets: InstructionPreset[] }>("/api/instructions")).presets;
}

export async function createPreset(input: { name: string; text: string; isDefault: boolean }): Promise<InstructionPreset> {
  return (await call<{ preset: InstructionPreset }>("/api/instructions", { method: "POST", json: input })).preset;
}

export async function updatePreset(id: string, changes: { name?: string; text?: string; isDefault?: boolean }): Promise<InstructionPreset> {
  return (await call<{ preset: InstructionPreset }>(`/api/instructions/${encodeURIComponent(id)}`, { method: "PATCH", json: changes })).preset;
}

export async function deletePreset(id: string): Promise<void> {
  await call(`/api/instructions/${encodeURIComponent(id)}`, { method: "DELETE" });
}

export function fetchChatInstructions(chatId: string): Promise<ChatInstructions> {
  return call(`/api/chats/${encodeURIComponent(chatId)}/instructions`);
}

/** `preset`: "default", "none" or a preset's id. */
export function chooseChatInstructions(chatId: string, preset: string): Promise<ChatInstructions> {
  return call(`/api/chats/${encodeURIComponent(chatId)}/instructions`, { method: "PUT", json: { preset } });
}
