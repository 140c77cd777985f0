/**
 * `npm test`: builds the app, runs the vitest suites, then the Playwright suite, against real
 * PostgreSQL and Redis that it finds or starts itself (scripts/test/services.ts) and stops
 * afterwards. `npm run test:unit` and `npm run test:e2e` run parts of it:
 *
 *   tsx scripts/test/run.ts [build] [unit] [e2e]     (no argument: all three)
 *
 * Other arguments go to the last step's runner, e.g. `npm run test:unit -- tests/api.test.ts`.
 */
import { spawn } from "node:child_process";
import { provideInngestBinary } from "./inngest-binary";
import { checkChromium, checkNginx, MissingTestDependency, providePostgres, provideRedis, type TestService } from "./services";

const STEPS = {
  build: { label: "next build", command: ["next", "build"] },
  unit: { label: "vitest", command: ["vitest", "run"] },
  e2e: { label: "playwright", command: ["playwright", "test"] },
} as const;
type Step = keyof typeof STEPS;

/** Leading step names choose the steps; whatever follows goes to the last step's runner. */
function parseArguments(argv: string[]): { steps: Step[]; extra: string[] } {
  const isStep = (name: string): name is Step => name in STEPS;
  const firstOther = argv.findIndex((name) => !isStep(name));
  const names = (firstOther === -1 ? argv : argv.slice(0, firstOther)) as Step[];
  const extra = firstOther === -1 ? [] : argv.slice(firstOther).filter((name) => name !== "--");
  return { steps: names.length === 0 ? (Object.keys(STEPS) as Step[]) : names, extra };
}

function run(command: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("npx", ["--no-install", ...command], { stdio: "inherit", env });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function seconds(since: number): string {
  return `${Math.round((Date.now() - since) / 1000)} s`;
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  const { steps, extra } = parseArguments(process.argv.slice(2));
  const needsServices = steps.some((step) => step !== "build");
  const services: TestService[] = [];
  const stopServices = async () => {
    for (const service of services.splice(0).reverse()) await service.stop();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void stopServices().finally(() => process.exit(130)));
  }

  const env: NodeJS.ProcessEnv = { ...process.env };
  // Written titles (lib/titles) add a model call after each chat's first reply, which the suites
  // that count the provider's calls or check a chat's first-line title do not expect: they are on
  // where a test asks for them (CHAT_TITLES=model: the title tests, the e2e titles instance).
  env.CHAT_TITLES ??= "first-line";
  const summary: string[] = [];
  try {
    if (needsServices) {
      // Checked before anything slow runs, so a missing piece is said within seconds.
      if (steps.includes("unit")) {
        summary.push(checkNginx(env));
        const inngest = provideInngestBinary(env);
        if ("missing" in inngest) summary.push(`WARNING: the Inngest suite will not run: ${inngest.missing}`);
        else {
          env.TEST_INNGEST_BIN = inngest.path;
          summary.push(inngest.origin);
        }
      }
      if (steps.includes("e2e")) summary.push(await checkChromium());
      const provided = await Promise.allSettled([providePostgres(env), provideRedis(env)]);
      for (const result of provided) if (result.status === "fulfilled") services.push(result.value);
      const refused = provided.find((result) => result.status === "rejected");
      if (refused) throw refused.reason;
      const [postgres, redis] = services;
      env.TEST_POSTGRES_URL = postgres.url;
      env.TEST_REDIS_URL = redis.url;
      summary.unshift(postgres.origin, redis.origin);
      console.log(`\n== test services: ${summary.join("; ")}\n`);
    }
    for (const [index, step] of steps.entries()) {
      const stepStartedAt = Date.now();
      const last = index === steps.length - 1;
      const code = await run([...STEPS[step].command, ...(last ? extra : [])], env);
      console.log(`\n== ${STEPS[step].label}: ${code === 0 ? "passed" : `failed (exit ${code})`} in ${seconds(stepStartedAt)}\n`);
      if (code !== 0) return code;
    }
    const warnings = summary.filter((line) => line.startsWith("WARNING"));
    console.log(`== npm test: ${steps.join(", ")} passed in ${seconds(startedAt)}${warnings.map((line) => `\n${line}`).join("")}`);
    return 0;
  } finally {
    await stopServices();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof MissingTestDependency) console.error(`\nnpm test: ${error.message}\n`);
    else console.error(error);
    process.exit(1);
  },
);
