// Quarry against the approaches users would otherwise take, side by side on one workload, against
// the emulator running in a child process: the seed notebook's loop, the AWS SDK's adaptive
// retry with a pool, LangChain's batch and the Vercel AI SDK. Each contestant runs in a process
// of its own, after an emulator reset, and is told nothing about the quota. See bench/README.md.
//
//   npm run bench -- [--scenario rpm,tpm-max-tokens,faulty,quota-drop]
//                    [--contestant quarry,seed-loop,aws-sdk-adaptive,langchain-batch,vercel-ai-sdk]
//                    [--scale 1] [--deadline-factor 2] [--full-bucket]
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CONTESTANT_NAMES } from "./contestants/index.js";
import { bestPeer, checkGoals, QUARRY } from "./harness/check-goals.js";
import { drainQuota } from "./harness/drain-quota.js";
import { type EmulatorStats, startEmulatorCli } from "./harness/emulator-cli-process.js";
import { fixed, formatTable, percent } from "./harness/format-table.js";
import { measureRow, type Row } from "./harness/measure-row.js";
import { runContestant } from "./harness/run-contestant.js";
import { emulatorConfig, makeScenarios, SCENARIO_NAMES } from "./scenarios/scenarios.js";
import { makeWorkload } from "./scenarios/workload.js";

const REGION = "us-east-1";

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: SCENARIO_NAMES.join(",") },
    contestant: { type: "string", default: CONTESTANT_NAMES.join(",") },
    scale: { type: "string", default: "1" },
    "deadline-factor": { type: "string", default: "2" },
    "full-bucket": { type: "boolean", default: false },
  },
});

function list(name: string, text: string, known: readonly string[]): string[] {
  const chosen = text.split(",").filter(Boolean);
  for (const item of chosen)
    if (!known.includes(item))
      throw new Error(`--${name}: unknown ${name} ${item}; expected some of ${known.join(", ")}`);
  if (chosen.length === 0) throw new Error(`--${name}: give at least one of ${known.join(", ")}`);
  return chosen;
}

const scale = Number(values.scale);
const deadlineFactor = Number(values["deadline-factor"]);
if (!(Number.isFinite(deadlineFactor) && deadlineFactor >= 1))
  throw new Error(`--deadline-factor must be a number ≥ 1; got ${values["deadline-factor"]}`);
const chosenScenarios = list("scenario", values.scenario, SCENARIO_NAMES);
const chosenContestants = list("contestant", values.contestant, CONTESTANT_NAMES);
const scenarios = makeScenarios(scale).filter((scenario) =>
  chosenScenarios.includes(scenario.name),
);

const drain = !values["full-bucket"];
const startedAt = new Date();
const rows: Row[] = [];
const raw: unknown[] = [];
console.log(
  `Quarry benchmark — scale ${scale}, deadline ${deadlineFactor}× the ideal duration + 10 s, ` +
    `${drain ? "buckets drained before each contestant" : "contestants start on full buckets"}, ` +
    `node ${process.version}, ${startedAt.toISOString()}`,
);

for (const scenario of scenarios) {
  const config = emulatorConfig(scenario);
  // The ideal duration: the quota's time for the records plus one reply (bench/README.md).
  const idealSeconds = scenario.expectedSeconds + scenario.expectedReplySeconds;
  const deadlineMs = Math.round((idealSeconds * deadlineFactor + 10) * 1000);
  const items = makeWorkload(scenario.records);
  const ids = items.map((item) => item.id);
  console.log(
    `\n## ${scenario.name}: ${scenario.title}\n` +
      `   ${scenario.records} records to ${scenario.modelId}, max_tokens ${scenario.maxTokens} ` +
      `(Quarry: ${scenario.quarryMaxTokens}), quota ${JSON.stringify(scenario.quota)}, ` +
      `ideal ≈ ${fixed(scenario.expectedSeconds)} s + ${fixed(scenario.expectedReplySeconds, 1)} s ` +
      `for a mean last reply, deadline ${fixed(deadlineMs / 1000)} s`,
  );
  const emulator = await startEmulatorCli(config);
  const scenarioRows: Row[] = [];
  try {
    for (const name of chosenContestants) {
      let resetAt = 0;
      let goAt = 0;
      let baseline: EmulatorStats | undefined;
      const report = await runContestant(
        {
          type: "start",
          contestant: name,
          run: {
            endpoint: emulator.url,
            region: REGION,
            modelId: scenario.modelId,
            maxTokens: scenario.maxTokens,
            quarryMaxTokens: scenario.quarryMaxTokens,
            items,
            deadlineMs,
          },
        },
        async () => {
          await emulator.reset();
          resetAt = performance.now();
          if (drain) {
            await drainQuota(
              emulator.url,
              scenario.modelId,
              scenario.quota,
              scenario.outputBurndown,
              scenario.estimatedCharge,
            );
            baseline = await emulator.stats();
          }
          goAt = performance.now();
        },
      );
      const stats = await emulator.stats();
      const row = measureRow(
        scenario,
        name,
        ids,
        report,
        { stats, baseline },
        (goAt - resetAt) / 1000,
        drain,
      );
      if (row.emulatorRequests === 0 && !row.error)
        throw new Error(
          `${name} sent the emulator no request: it is not talking to ${emulator.url}`,
        );
      rows.push(row);
      scenarioRows.push(row);
      raw.push({ row, emulatorStats: stats, drainBaseline: baseline, results: report.results });
      console.log(
        `   ${name.padEnd(17)} ${fixed(row.wallSeconds, 1).padStart(6)} s  ok ${row.ok}/${row.records}` +
          `  ${percent(row.ofIdeal)} of ideal  throttled ${percent(row.throttledShare)}` +
          (row.cutAtDeadline ? "  (cut at deadline)" : "") +
          (row.error ? `  ERROR ${row.error}` : ""),
      );
    }
  } finally {
    await emulator.stop();
  }
  console.log(`\n${scenarioTable(scenarioRows)}`);
  const reasons = scenarioRows.filter((row) => row.failureReasons.length > 0);
  for (const row of reasons)
    console.log(
      `   failures of ${row.contestant}: ` +
        row.failureReasons
          .slice(0, 4)
          .map((reason) => `${reason.count}× ${reason.reason}`)
          .join("; "),
    );
}

function scenarioTable(scenarioRows: readonly Row[]): string {
  return formatTable(
    [
      "contestant",
      "wall",
      "ok",
      "rec/min",
      "out tok/min",
      "of ideal",
      "w/ burst",
      "requests",
      "throttled",
      "thr %",
      "failed",
      "lost",
      "unfin.",
      "dup",
      "trunc",
      "cpu ms",
      "cpu/rec",
      "peak RSS",
    ],
    scenarioRows.map((row) => [
      row.contestant,
      `${fixed(row.wallSeconds, 1)} s`,
      String(row.ok),
      fixed(row.recordsPerMinute, 1),
      fixed(row.outputTokensPerMinute),
      percent(row.ofIdeal),
      row.ofIdealWithBurst === undefined ? "—" : percent(row.ofIdealWithBurst),
      String(row.emulatorRequests),
      String(row.throttled),
      percent(row.throttledShare),
      String(row.failed),
      String(row.lost),
      String(row.unfinished),
      String(row.duplicated),
      String(row.truncated),
      fixed(row.cpuMs),
      fixed(row.cpuMsPerRecord, 2),
      `${fixed(row.peakRssMiB)} MiB`,
    ]),
  );
}

// Ratios: Quarry ÷ the best peer (by records per minute) of each scenario.
const ratioRows: string[][] = [];
for (const scenario of scenarios) {
  const quarry = rows.find((row) => row.scenario === scenario.name && row.contestant === QUARRY);
  const peer = bestPeer(rows, scenario.name);
  if (!quarry || !peer) continue;
  ratioRows.push([
    scenario.name,
    peer.contestant,
    `${fixed(quarry.recordsPerMinute / peer.recordsPerMinute, 2)}×`,
    `${fixed(quarry.outputTokensPerMinute / peer.outputTokensPerMinute, 2)}×`,
    `${fixed(quarry.ofIdeal / peer.ofIdeal, 2)}×`,
    `${fixed(quarry.cpuMsPerRecord / peer.cpuMsPerRecord, 2)}×`,
    `${fixed(quarry.peakRssMiB / peer.peakRssMiB, 2)}×`,
  ]);
}
if (ratioRows.length > 0) {
  console.log("\n## Quarry ÷ best peer\n");
  console.log(
    formatTable(
      ["scenario", "best peer", "rec/min", "out tok/min", "of ideal", "cpu/rec", "peak RSS"],
      ratioRows,
    ),
  );
}

const verdicts = checkGoals(rows);
if (verdicts.length > 0) {
  console.log("\n## Goals\n");
  for (const verdict of verdicts)
    console.log(`${verdict.pass ? "PASS" : "FAIL"}  ${verdict.goal} — ${verdict.detail}`);
}

const folder = fileURLToPath(new URL("./results/", import.meta.url));
await mkdir(folder, { recursive: true });
const file = `${folder}${startedAt.toISOString().replace(/[:.]/g, "-")}.json`;
await writeFile(
  file,
  `${JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      node: process.version,
      scale,
      deadlineFactor,
      drained: drain,
      scenarios: scenarios.map((scenario) => ({ ...scenario, emulator: emulatorConfig(scenario) })),
      rows,
      goals: verdicts,
      runs: raw,
    },
    null,
    1,
  )}\n`,
);
console.log(`\nRaw results: ${file}`);
