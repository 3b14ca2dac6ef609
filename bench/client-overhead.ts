// What Quarry's client costs on top of the AWS SDK, and what its sized connection pool gains:
// InvokeModel requests per second against a zero-latency, unlimited emulator, through
//   - the bare AWS SDK with its default handler (a new HTTP/2 session per request),
//   - the same SDK with the keep-alive pool Quarry builds (to separate pool from overhead),
//   - that again with the SDK's middleware cached as Quarry's clients have it, and
//   - quarry.invoke() with its handlers: `auto` (the default: the keep-alive HTTP/1.1 pool
//     sized for the concurrency) and `http2` (multiplexed sessions),
// in one run, at the same concurrency. The emulator runs in a child process, a fresh one per
// scenario, so the client's core is its own; the client's memory is sampled while it runs.
//
//   npx tsx bench/client-overhead.ts [--duration 5] [--warmup 1] [--concurrency 64] [--rounds 3]
//                                    [--json]
import { parseArgs } from "node:util";
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { createQuarry } from "../src/client/create-quarry.js";
import { createRequestHandler } from "../src/client/create-request-handler.js";
import { type LoadResult, runClosedLoop } from "./emulator/closed-loop.js";
import { startEmulatorProcess } from "./emulator/emulator-process.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "bench-secret-not-real" };
const PROMPTS = Array.from({ length: 64 }, (_, i) => `Name one river of country number ${i}.`);
const MAX_TOKENS = 40;

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    concurrency: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
  },
});
const number = (name: string, text: string) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} must be a positive number; got ${text}`);
  return value;
};
const durationMs = number("duration", values.duration) * 1000;
const warmupMs = number("warmup", values.warmup) * 1000;
const concurrency = Math.round(number("concurrency", values.concurrency));
const rounds = Math.round(number("rounds", values.rounds));

// Zero latency, no quota, short replies: what is left is client and transport cost.
const EMULATOR_CONFIG = {
  latency: { firstTokenMs: 0, perOutputTokenMs: 0 },
  quotas: {},
  responder: { outputTokens: 20 },
};

interface Scenario {
  readonly name: string;
  setup(url: string): { send(index: number): Promise<void>; close(): void };
}

const scenarios: Scenario[] = [
  {
    name: "AWS SDK, default handler",
    setup(url) {
      const client = new BedrockRuntimeClient({
        endpoint: url,
        region: "us-east-1",
        credentials: CREDENTIALS,
      });
      return {
        async send(index) {
          await client.send(
            new InvokeModelCommand({
              modelId: MODEL,
              contentType: "application/json",
              accept: "application/json",
              body: JSON.stringify({
                anthropic_version: "bedrock-2023-05-31",
                max_tokens: MAX_TOKENS,
                messages: [{ role: "user", content: PROMPTS[index % PROMPTS.length] }],
              }),
            }),
          );
        },
        close: () => client.destroy(),
      };
    },
  },
  ...([false, true] as const).map((cacheMiddleware) => ({
    // The same SDK with the pool Quarry builds (and its cached middleware): isolates what the
    // codec and scheduler cost.
    name: cacheMiddleware ? "AWS SDK, pool + cached mw" : "AWS SDK, Quarry's pool",
    setup(url: string) {
      const client = new BedrockRuntimeClient({
        endpoint: url,
        region: "us-east-1",
        credentials: CREDENTIALS,
        maxAttempts: 1,
        cacheMiddleware,
        requestHandler: createRequestHandler({
          protocol: "http1",
          maxSockets: concurrency,
          connectTimeoutMs: 10_000,
          firstByteTimeoutMs: 600_000,
          target: new URL(url),
          proxy: {},
        }),
      });
      return {
        async send(index: number) {
          await client.send(
            new InvokeModelCommand({
              modelId: MODEL,
              contentType: "application/json",
              accept: "application/json",
              body: JSON.stringify({
                anthropic_version: "bedrock-2023-05-31",
                max_tokens: MAX_TOKENS,
                messages: [{ role: "user", content: PROMPTS[index % PROMPTS.length] }],
              }),
            }),
          );
        },
        close: () => client.destroy(),
      };
    },
  })),
  ...(["auto", "http2"] as const).map((protocol) => ({
    name: `quarry.invoke (${protocol})`,
    setup(url: string) {
      const quarry = createQuarry({
        http: { protocol },
        endpoint: url,
        region: "us-east-1",
        credentials: CREDENTIALS,
        model: MODEL,
        concurrency,
        // The emulator has no quota; tell the scheduler so, to measure its overhead rather than
        // its cautious start (discovery is the scheduler benchmark's subject).
        scheduler: { limits: { "*": { concurrency, tpm: 1e12, rpm: 1e9 } } },
      });
      return {
        async send(index: number) {
          const reply = await quarry.invoke({
            prompt: PROMPTS[index % PROMPTS.length]!,
            maxTokens: MAX_TOKENS,
          });
          if (reply.blocked || reply.text.length === 0) throw new Error("empty reply");
        },
        close: () => quarry.destroy(),
      };
    },
  })),
];

interface Row extends LoadResult {
  readonly scenario: string;
  /** Client CPU (user + system) per request: steadier than requests/s on a shared machine. */
  readonly cpuMsPerRequest: number;
  readonly peakRssMiB: number;
  readonly heapUsedMiB: number;
}

async function measure(scenario: Scenario): Promise<Row> {
  const emulator = await startEmulatorProcess({ config: EMULATOR_CONFIG });
  const target = scenario.setup(emulator.url);
  globalThis.gc?.();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    const cpuBefore = process.cpuUsage();
    const result = await runClosedLoop((index) => target.send(index), {
      concurrency,
      durationMs,
      warmupMs,
    });
    const cpu = process.cpuUsage(cpuBefore);
    // The warm-up's requests are not in `result.requests`; scale CPU to the measured part.
    const measuredShare = durationMs / (durationMs + warmupMs);
    return {
      scenario: scenario.name,
      ...result,
      cpuMsPerRequest:
        (((cpu.user + cpu.system) / 1000) * measuredShare) / Math.max(1, result.requests),
      peakRssMiB: peakRss / 2 ** 20,
      heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
    };
  } finally {
    clearInterval(sampler);
    target.close();
    await emulator.stop();
  }
}

// Rounds interleave the scenarios so that a change in the machine's load (it is shared) or the
// JIT's warmth falls on all of them alike; each scenario reports its median round.
const runs = new Map<string, Row[]>();
for (let round = 0; round < rounds; round++)
  for (const scenario of scenarios) {
    const row = await measure(scenario);
    runs.set(scenario.name, [...(runs.get(scenario.name) ?? []), row]);
  }
const rows: Row[] = scenarios.map((scenario) => {
  const sorted = [...runs.get(scenario.name)!].sort(
    (a, b) => a.requestsPerSecond - b.requestsPerSecond,
  );
  return sorted[Math.floor(sorted.length / 2)]!;
});

const [sdk, , cached, quarry] = rows as [Row, Row, Row, Row, Row];
const ratio = quarry.requestsPerSecond / sdk.requestsPerSecond;
// Same SDK, same HTTP/1.1 pool, same cached middleware: what the codec, scheduler, header
// capture and signal carrying add.
const overhead = quarry.cpuMsPerRequest - cached.cpuMsPerRequest;
if (values.json) {
  console.log(
    JSON.stringify(
      {
        concurrency,
        durationMs,
        rows,
        ratio,
        overhead,
      },
      null,
      2,
    ),
  );
} else {
  console.log(
    `InvokeModel, zero-latency emulator, concurrency ${concurrency}, ${durationMs / 1000}s each, median of ${rounds} interleaved rounds`,
  );
  for (const row of rows)
    console.log(
      `${row.scenario.padEnd(28)} ${row.requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
        `p50 ${row.p50Ms.toFixed(1)} ms  p99 ${row.p99Ms.toFixed(1)} ms  errors ${row.errors}  ` +
        `client CPU ${row.cpuMsPerRequest.toFixed(2)} ms/req  ` +
        `peak RSS ${row.peakRssMiB.toFixed(0)} MiB  heap ${row.heapUsedMiB.toFixed(0)} MiB` +
        (row.firstError ? `  first error: ${row.firstError}` : ""),
    );
  console.log(`quarry.invoke (auto) / bare SDK (default handler): ${ratio.toFixed(2)}× requests/s`);
  console.log(
    `codec + scheduler + header capture + signals: ${overhead.toFixed(2)} ms CPU per request over the same SDK, pool and cache`,
  );
}
