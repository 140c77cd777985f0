/**
 * Runs the provider double as its own process, for end-to-end runs and the load benchmark:
 *
 *   tsx scripts/provider-double.ts --port 4010 --rpm 60 --token-delay 20 --tokens 30 --latency 100
 *
 * Prints the base URL (use it as OPENAI_BASE_URL) on stdout; GET /stats and POST /reset on the same
 * host let the bench read and zero the counters, and GET /prompts shows end-to-end tests what the
 * model was sent lately. Configured by flags only, so the environment meant
 * for the app under test cannot change the double by accident.
 */
import { parseArgs } from "node:util";
import {
  echoReply,
  startProviderDouble,
  type HeaderStyle,
  type LimiterKind,
  type ProviderDoubleOptions,
} from "@/lib/testing/provider-double";

const USAGE = `Usage: tsx scripts/provider-double.ts [options]
  --port <n>                     port to listen on (default 0: any free port)
  --host <address>               address to bind (default 127.0.0.1)
  --latency <ms>                 delay before the first token (default 0)
  --token-delay <ms>             delay between streamed tokens (default 0)
  --tokens <n>                   words in each reply (default 20)
  --rpm <n>                      requests-per-minute cap, 429 above it (default: none)
  --tpm <n>                      tokens-per-minute cap, 429 above it (default: none)
  --window <ms>                  window the caps count over (default 60000)
  --limiter sliding|fixed|bucket how the caps hold over the window: any window, each whole
                                 window from its boundary, or a continuously refilled bucket
                                 (default sliding)
  --headers openai|anthropic|none  rate-limit headers sent (default openai)
  --per-key                      caps per API key (Authorization header) rather than shared
  --failure-rate <0..1>          fraction of requests answered 500 (default 0)
  --rate-limit-failure-rate <0..1>  fraction answered 429 regardless of caps (default 0)
  --stamp                        end each reply with " [t=<epoch ms>]", the moment the request
                                 arrived (the bench reads it to split queue wait from model time)`;

/** Flag name → option it sets; every one takes a number. */
const NUMERIC_FLAGS = {
  port: "port",
  latency: "latencyMs",
  "token-delay": "tokenDelayMs",
  tokens: "tokensPerReply",
  rpm: "rpm",
  tpm: "tpm",
  window: "windowMs",
  "failure-rate": "failureRate",
  "rate-limit-failure-rate": "rateLimitFailureRate",
} as const satisfies Record<string, keyof ProviderDoubleOptions>;

function parseOptions(argv: string[]): ProviderDoubleOptions | "help" {
  const values: Record<string, string | boolean | undefined> = parseArgs({
    args: argv,
    options: {
      help: { type: "boolean", short: "h" },
      stamp: { type: "boolean" },
      "per-key": { type: "boolean" },
      host: { type: "string" },
      limiter: { type: "string" },
      headers: { type: "string" },
      ...Object.fromEntries(Object.keys(NUMERIC_FLAGS).map((flag) => [flag, { type: "string" as const }])),
    },
    strict: true,
  }).values;
  if (values.help) return "help";
  const options: ProviderDoubleOptions = {
    host: values.host as string | undefined,
    // Checked by the double itself, which names the bad value.
    limiter: values.limiter as LimiterKind | undefined,
    headers: values.headers as HeaderStyle | undefined,
    perKey: values["per-key"] === true,
  };
  for (const [flag, option] of Object.entries(NUMERIC_FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(value)) {
      throw new RangeError(`--${flag} expects a number, got "${String(raw)}"`);
    }
    options[option] = value;
  }
  if (values.stamp) {
    const words = options.tokensPerReply ?? 20;
    // Called on arrival (before admission), so the successful attempt carries its own arrival time.
    options.reply = ({ messages }) =>
      `${echoReply(messages.findLast((message) => message.role === "user")?.content ?? "", words)} [t=${Date.now()}]`;
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const double = await startProviderDouble(options);
  console.log(double.url);
  const shutdown = () => {
    double.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exitCode = 1;
});
