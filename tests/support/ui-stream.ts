/**
 * Reading AI SDK UI message streams in tests, with no import of the app: safe in files that must
 * set the environment before anything loads the app's configuration.
 */
export interface StreamChunk {
  type: string;
  delta?: string;
  errorText?: string;
}

/** Reads an AI SDK UI message stream response to its end. */
export async function readChunks(response: Response): Promise<StreamChunk[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .map((event) => event.trim())
    .filter((event) => event.startsWith("data: ") && event !== "data: [DONE]")
    .map((event) => JSON.parse(event.slice("data: ".length)) as StreamChunk);
}

export function textOfChunks(chunks: StreamChunk[]): string {
  return chunks.map((chunk) => (chunk.type === "text-delta" ? (chunk.delta ?? "") : "")).join("");
}
