// How many InvokeModel requests per second the emulator sustains, with zero latency and no
// quota, driven four ways: raw keep-alive HTTP/1.1, raw multiplexed HTTP/2, the AWS SDK with
// its default handler (a new HTTP/2 session per request) and the AWS SDK with a keep-alive
// HTTP/1.1 handler. The emulator runs in a child process so that the load generator does not
// share its core; each scenario gets a fresh child, so its peak RSS is that scenario's own.
//
//   npx tsx bench/emulator-throughput.ts [--duration 5] [--warmup 1] [--concurrency 64]
//                                        [--scenarios http1,http2,sdk-default,sdk-keepalive]
//                                        [--cpu-prof <dir>] [--json]
import { parseArgs } from "node:util";
import { type LoadResult, runClosedLoop } from "./emulator/closed-loop.js";
import { startEmulatorProcess } from "./emulator/emulator-process.js";
import {
  keepAliveHttp1,
  type LoadGenerator,
  multiplexedHttp2,
  sdkDefault,
  sdkKeepAlive,
} from "./emulator/load-generators.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const SCENARIOS: Record<
  string,
  { label: string; make: (url: string, n: number) => LoadGenerator }
> = {
  http1: { label: "HTTP/1.1 keep-alive (raw)", make: keepAliveHttp1 },
  http2: { label: "HTTP/2 multiplexed (raw)", make: (url) => multiplexedHttp2(url) },
  "sdk-default": { label: "AWS SDK, default handler", make: (url) => sdkDefault(url) },
  "sdk-keepalive": { label: "AWS SDK, keep-alive agent", make: sdkKeepAlive },
};

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    concurrency: { type: "string", default: "64" },
    scenarios: { type: "string", default: Object.keys(SCENARIOS).join(",") },
    "cpu-prof": { type: "string" },
    json: { type: "boolean", default: false },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} must be a positive number of seconds or requests; got ${text}`);
  return value;
}
const durationMs = positive("duration", values.duration) * 1000;
const warmupMs = positive("warmup", values.warmup) * 1000;
const concurrency = Math.round(positive("concurrency", values.concurrency));
const chosen = values.scenarios.split(",").filter(Boolean);
for (const name of chosen)
  if (!SCENARIOS[name])
    throw new Error(
      `--scenarios: unknown scenario ${name}; expected some of ${Object.keys(SCENARIOS).join(", ")}`,
    );

/** The emulator as the goal states it: zero latency, no quota, no faults. */
const EMULATOR_CONFIG = { latency: { firstTokenMs: 0, perOutputTokenMs: 0 }, quotas: {} };

interface Row extends LoadResult {
  readonly scenario: string;
  readonly peakRssMiB: number;
  readonly emulatorCpuPercent: number;
  readonly emulatorCpuMicrosPerRequest: number;
}

const rows: Row[] = [];
for (const name of chosen) {
  const scenario = SCENARIOS[name]!;
  const emulator = await startEmulatorProcess({
    config: EMULATOR_CONFIG,
    ...(values["cpu-prof"] ? { cpuProfileDir: values["cpu-prof"] } : {}),
  });
  const generator = scenario.make(emulator.url, concurrency);
  try {
    let before: ProcessInfo | undefined;
    const result = await runClosedLoop((i) => generator.send(i), {
      concurrency,
      durationMs,
      warmupMs,
      beforeMeasure: async () => {
        before = await processInfo(emulator.url);
      },
    });
    const after = await processInfo(emulator.url);
    const cpuMicros =
      after.cpuUserMicros + after.cpuSystemMicros - before!.cpuUserMicros - before!.cpuSystemMicros;
    const wallMicros = (after.uptimeSeconds - before!.uptimeSeconds) * 1e6;
    rows.push({
      scenario: scenario.label,
      ...result,
      peakRssMiB: after.peakRssBytes / 2 ** 20,
      emulatorCpuPercent: (100 * cpuMicros) / wallMicros,
      // CPU time per request does not depend on what else the machine is doing, unlike
      // requests/s: it is the figure to compare runs with (1e6 / it = one core's ceiling).
      emulatorCpuMicrosPerRequest: cpuMicros / (result.requests + result.errors),
    });
  } finally {
    await generator.close();
    await emulator.stop();
  }
}

if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(
    `InvokeModel, Claude Messages body, zero latency, no quota; ${concurrency} in flight, ` +
      `${durationMs / 1000}s measured after ${warmupMs / 1000}s warm-up, emulator in a child process`,
  );
  console.table(
    rows.map((row) => ({
      scenario: row.scenario,
      "requests/s": Math.round(row.requestsPerSecond),
      "p50 ms": row.p50Ms.toFixed(2),
      "p99 ms": row.p99Ms.toFixed(2),
      errors: row.errors,
      "emulator CPU %": Math.round(row.emulatorCpuPercent),
      "emulator CPU µs/request": Math.round(row.emulatorCpuMicrosPerRequest),
      "emulator peak RSS MiB": row.peakRssMiB.toFixed(1),
    })),
  );
  for (const row of rows)
    if (row.firstError) console.log(`${row.scenario}: first error ${row.firstError}`);
}

interface ProcessInfo {
  peakRssBytes: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  uptimeSeconds: number;
}

async function processInfo(url: string): Promise<ProcessInfo> {
  const response = await fetch(`${url}/_quarry/process`);
  if (!response.ok) throw new Error(`GET /_quarry/process answered ${response.status}`);
  return (await response.json()) as ProcessInfo;
}
