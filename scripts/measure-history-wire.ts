/**
 * `npx tsx scripts/measure-history-wire.ts [messages]`: the byte size of one long chat's history
 * (200 messages by default) in each wire format GET /api/chats/{id} can answer. The replies are
 * real markdown (sections of the README files in node_modules, taken in name order, so a given
 * lockfile gives the same figures), since made-up text compresses unrealistically well.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import { sampleChat } from "../lib/testing/sample-chat";
import { encodeChatHistory, encodeChatHistoryJson } from "../lib/wire/chat-history-wire";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** What a proxy at its usual settings sends: gzip level 6, brotli quality 5. */
function compressed(body: Uint8Array): Promise<Buffer[]> {
  return Promise.all([
    gzipAsync(body, { level: 6 }),
    brotliAsync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } }),
  ]);
}

/** README sections of a reply's size (400 to 4,000 characters), `needed` of them. */
function readmeSections(needed: number): string[] {
  const modules = path.resolve(__dirname, "../node_modules");
  const scoped = (scope: string) => readdirSync(path.join(modules, scope)).sort().map((name) => `${scope}/${name}`);
  const packages = readdirSync(modules)
    .sort()
    .flatMap((name) => (name.startsWith("@") ? scoped(name) : [name]));
  const sections: string[] = [];
  for (const name of packages) {
    const readme = path.join(modules, name, "README.md");
    if (!existsSync(readme)) continue;
    for (const section of readFileSync(readme, "utf8").split(/\n(?=## )/)) {
      if (section.length >= 400 && section.length <= 4000) sections.push(section.trim());
      if (sections.length === needed) return sections;
    }
  }
  return sections;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200);
  const history = sampleChat({ userId: "user_measure", count, answers: readmeSections(Math.ceil(count / 2)) });
  const text = history.messages
    .flatMap((message) => message.parts)
    .reduce((sum: number, part) => sum + ((part as { text?: string }).text?.length ?? 0), 0);
  const formats = { JSON: encodeChatHistoryJson(history), protobuf: encodeChatHistory(history) };

  console.log(`${count} messages, ${text.toLocaleString("en-US")} characters of message text\n`);
  console.log("format      identity      gzip        br");
  for (const [name, body] of Object.entries(formats)) {
    const cells = [body, ...(await compressed(body))].map((bytes) => bytes.byteLength.toLocaleString("en-US").padStart(10));
    console.log(`${name.padEnd(10)}${cells.join("")}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
