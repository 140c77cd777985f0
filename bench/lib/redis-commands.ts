/**
 * What one reply costs in Redis commands, as Upstash would bill it: the app counts every command
 * and round trip its own clients send, by activity (lib/hot/command-count.ts), and exports the
 * counts in /api/metrics. This phase sends replies one at a time, of several lengths, and reads
 * the counts before and after each step: a guest's sign-in, the accept path (POST /api/chat up
 * to its response), the reply job, the reader streaming it back, and one more reader resuming
 * the same reply from another tab.
 */
import { randomUUID } from "node:crypto";
import { sendAndRead, signInGuest, type Session } from "./client";
import { markdownTable } from "./stats";

/** Upstash's published pay-as-you-go price: $0.2 per 100,000 commands. */
export const UPSTASH_DOLLARS_PER_COMMAND = 0.2 / 100_000;
export const REPLY_LENGTHS = [10, 200, 500] as const;
const REPLIES_PER_LENGTH = 3;

/** The activities the app names (route names, reply-job, reply-reader) and what this phase calls them. */
const SIGN_IN = ["auth"];
const ACCEPT = ["chat.send"];
const JOB = ["reply-job"];
const READER = ["reply-reader"];
const RESUME = ["chat.resume"];

export interface CommandFigures {
  commands: number;
  requests: number;
}

export interface ReplyCommandRow {
  tokens: number;
  signIn: CommandFigures;
  accept: CommandFigures;
  job: CommandFigures;
  reader: CommandFigures;
  /** An extra reader of the same reply (a second tab resuming it), beyond the first. */
  extraReader: CommandFigures;
  /** Accept + job + one reader: the reply itself, sign-in excluded. */
  reply: CommandFigures;
}

export interface RedisCommandsRun {
  driver: "redis" | "upstash";
  rows: ReplyCommandRow[];
  /** Commands per second no request or reply claimed (heartbeats, timers), flush excluded. */
  backgroundPerSecond: number;
}

type Counts = Record<string, CommandFigures>;
/** Commands by "activity command" (e.g. "reply-job evalsha"), to see where they go. */
type NameCounts = Record<string, number>;

export interface CommandsPhaseTarget {
  driver: "redis" | "upstash";
  origin: string;
  metricsToken: string;
  /** Changes the provider double's reply length from the next request on. */
  setReplyTokens(tokens: number): void;
  log(message: string): void;
}

async function readMetrics(target: CommandsPhaseTarget): Promise<string> {
  const response = await fetch(`${target.origin}/api/metrics`, { headers: { authorization: `Bearer ${target.metricsToken}` } });
  if (!response.ok) throw new Error(`GET /api/metrics answered ${response.status}`);
  return response.text();
}

async function readNameCounts(target: CommandsPhaseTarget): Promise<NameCounts> {
  const counts: NameCounts = {};
  for (const line of (await readMetrics(target)).split("\n")) {
    const match = /^stampede_hot_store_commands_by_name_total\{activity="([^"]+)",command="([^"]+)"\} (\d+)/.exec(line);
    if (match) counts[`${match[1]} ${match[2]}`] = Number(match[3]);
  }
  return counts;
}

/** The commands sent between two readings, most first: "reply-job evalsha 52, reply-reader llen 30, ...". */
function nameBreakdown(before: NameCounts, after: NameCounts): string {
  return Object.entries(after)
    .map(([name, count]) => [name, count - (before[name] ?? 0)] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => `${name} ${count}`)
    .join(", ");
}

async function readCounts(target: CommandsPhaseTarget): Promise<Counts> {
  const counts: Counts = {};
  for (const line of (await readMetrics(target)).split("\n")) {
    const match = /^stampede_hot_store_(commands|requests)_total\{activity="([^"]+)"\} (\d+)/.exec(line);
    if (!match) continue;
    const [, kind, activity, value] = match;
    counts[activity] ??= { commands: 0, requests: 0 };
    counts[activity][kind as keyof CommandFigures] = Number(value);
  }
  return counts;
}

function delta(before: Counts, after: Counts, activities: string[]): CommandFigures {
  const sum = (counts: Counts, kind: keyof CommandFigures) => activities.reduce((total, name) => total + (counts[name]?.[kind] ?? 0), 0);
  return { commands: sum(after, "commands") - sum(before, "commands"), requests: sum(after, "requests") - sum(before, "requests") };
}

/** Reads the counts until the activities stop moving: a reply job's last writes land after the reader's finish. */
async function settledCounts(target: CommandsPhaseTarget, activities: string[]): Promise<Counts> {
  let previous = await readCounts(target);
  for (let round = 0; round < 50; round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const next = await readCounts(target);
    const moved = delta(previous, next, activities);
    if (moved.commands === 0 && moved.requests === 0) return next;
    previous = next;
  }
  return previous;
}

function mean(rows: CommandFigures[]): CommandFigures {
  const total = rows.reduce((sum, row) => ({ commands: sum.commands + row.commands, requests: sum.requests + row.requests }), {
    commands: 0,
    requests: 0,
  });
  return { commands: Math.round(total.commands / rows.length), requests: Math.round(total.requests / rows.length) };
}

async function oneReply(target: CommandsPhaseTarget, index: number, withExtraReader: boolean) {
  const all = [...SIGN_IN, ...ACCEPT, ...JOB, ...READER, ...RESUME];
  const start = await settledCounts(target, all);
  const session: Session = await signInGuest(target.origin, target.origin, index);
  const signedIn = await readCounts(target);
  const chatId = `cmd-${randomUUID()}`;
  const headers = { cookie: session.cookie, origin: target.origin, "x-forwarded-for": session.ip };
  // A unique message every time, so no reply comes from the reply cache.
  const sending = sendAndRead(`${target.origin}/api/chat`, {
    index,
    timeoutMs: 120_000,
    headers,
    body: { chatId, messageId: `m-${randomUUID()}`, text: `count the commands ${randomUUID()}` },
  });
  let extra: Promise<unknown> = Promise.resolve();
  if (withExtraReader) {
    // The second tab opens once the reply is under way, and reads it to the end.
    await new Promise((resolve) => setTimeout(resolve, 100));
    extra = fetch(`${target.origin}/api/chat/${chatId}/stream?offset=0`, { headers }).then((response) => response.text());
  }
  const outcome = await sending;
  await extra;
  if (!outcome.completed) throw new Error(`reply ${index} did not complete: ${outcome.errorCode ?? outcome.streamError ?? outcome.status}`);
  const end = await settledCounts(target, all);
  return {
    signIn: delta(start, signedIn, SIGN_IN),
    accept: delta(signedIn, end, ACCEPT),
    job: delta(signedIn, end, JOB),
    readers: delta(signedIn, end, [...READER, ...RESUME]),
  };
}

export async function measureReplyCommands(target: CommandsPhaseTarget): Promise<RedisCommandsRun> {
  const rows: ReplyCommandRow[] = [];
  let index = 0;
  // Warm-up: scripts loaded, connections made, the first request's compilation done.
  target.setReplyTokens(10);
  await oneReply(target, index++, false);
  const backgroundStart = await readCounts(target);
  const backgroundFrom = Date.now();
  for (const tokens of REPLY_LENGTHS) {
    target.setReplyTokens(tokens);
    const namesBefore = await readNameCounts(target);
    const single = [];
    const double = [];
    for (let i = 0; i < REPLIES_PER_LENGTH; i += 1) single.push(await oneReply(target, index++, false));
    const singleNames = nameBreakdown(namesBefore, await readNameCounts(target));
    for (let i = 0; i < REPLIES_PER_LENGTH; i += 1) double.push(await oneReply(target, index++, true));
    const reader = mean(single.map((run) => run.readers));
    const twoReaders = mean(double.map((run) => run.readers));
    const accept = mean(single.map((run) => run.accept));
    const job = mean(single.map((run) => run.job));
    rows.push({
      tokens,
      signIn: mean(single.map((run) => run.signIn)),
      accept,
      job,
      reader,
      extraReader: { commands: twoReaders.commands - reader.commands, requests: twoReaders.requests - reader.requests },
      reply: {
        commands: accept.commands + job.commands + reader.commands,
        requests: accept.requests + job.requests + reader.requests,
      },
    });
    target.log(`commands (${target.driver}): ${tokens}-token reply: ${rows.at(-1)!.reply.commands} commands`);
    target.log(`commands (${target.driver}): ${tokens}-token replies, ${REPLIES_PER_LENGTH} with sign-in, by name: ${singleNames}`);
  }
  const background = delta(backgroundStart, await readCounts(target), ["background"]);
  return { driver: target.driver, rows, backgroundPerSecond: background.commands / ((Date.now() - backgroundFrom) / 1000) };
}

function dollars(commands: number): string {
  return `$${(commands * 1000 * UPSTASH_DOLLARS_PER_COMMAND).toFixed(2)}`;
}

const figure = ({ commands, requests }: CommandFigures) => `${commands} (${requests})`;

export function renderRedisCommands(runs: RedisCommandsRun[], tokenDelayMs: number): string {
  const rows = runs.flatMap((run) =>
    run.rows.map((row) => [
      run.driver === "upstash" ? "Upstash REST" : "Redis TCP",
      String(row.tokens),
      figure(row.accept),
      figure(row.job),
      figure(row.reader),
      `**${figure(row.reply)}**`,
      figure(row.signIn),
      String(row.reply.commands + row.signIn.commands),
      figure(row.extraReader),
      dollars(row.reply.commands + row.signIn.commands),
    ]),
  );
  const background = runs.map((run) => `${run.driver === "upstash" ? "Upstash REST" : "Redis TCP"} ${run.backgroundPerSecond.toFixed(1)}/s`).join(", ");
  return (
    markdownTable(
      [
        "Hot store",
        "Reply tokens",
        "Accept",
        "Reply job",
        "Reader",
        "Reply: accept + job + reader",
        "Guest sign-in",
        "Reply with sign-in",
        "Each extra reader",
        "Per 1,000 replies with sign-in at Upstash's price",
      ],
      rows,
    ) +
    `\n\nCommands (round trips in brackets) per reply, counted by the app's own Redis clients and read from /api/metrics ` +
    `(\`stampede_hot_store_commands_total\` by activity); the mean of ${REPLIES_PER_LENGTH} replies per length, one at a time, ` +
    `tokens ${tokenDelayMs} ms apart. Upstash bills $0.2 per 100,000 commands (pay-as-you-go). ` +
    `Not counted per reply: the write-behind flush (batched across chats) and background work (heartbeats, timers): ${background}.`
  );
}
