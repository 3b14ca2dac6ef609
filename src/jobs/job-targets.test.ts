import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { estimateCost } from "../models/price-table.js";
import { resolveModel } from "../models/resolve-model.js";
import { cacheSavings } from "./estimate-job.js";
import { runJobSpec } from "./job-run.js";
import { type JobSpec, loadJobSpec, resolveJobSpec } from "./job-spec.js";
import { type JournalEntry, journalPaths } from "./journal.js";
import { fingerprintOptions } from "./load-job-assets.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";

const JOB = { model: `us.${HAIKU}`, prompt: { text: "Name a {thing}." }, input: "rows.csv" };

describe("a job's targets", () => {
  it("reads Regions as shorthand for the job's model, and objects with their own ids", () => {
    const spec = resolveJobSpec({
      ...JOB,
      targets: [
        "us-east-1",
        { region: "eu-west-1", model: `eu.${HAIKU}` },
        { region: "us-west-2", endpoint: "http://127.0.0.1:4599" },
      ],
    });
    expect(spec.targets).toEqual([
      { region: "us-east-1", model: `us.${HAIKU}` },
      { region: "eu-west-1", model: `eu.${HAIKU}` },
      { region: "us-west-2", model: `us.${HAIKU}`, endpoint: "http://127.0.0.1:4599" },
    ]);
    expect(resolveJobSpec(JOB).targets).toBeUndefined();
  });

  it("is left out of the fingerprint: where a record ran does not change its result", () => {
    const one = resolveJobSpec(JOB);
    const two = resolveJobSpec({ ...JOB, targets: ["us-east-1", "us-west-2"] });
    expect(fingerprintOptions(two)).toEqual(fingerprintOptions(one));
  });

  it.each([
    [{ targets: [] }, /targets must be a list of Regions/],
    [
      { targets: ["US East"] },
      /targets\.0 must be an AWS Region such as "us-west-2", got "US East"/,
    ],
    [
      { targets: [{ region: "us-east-1", model: `us.${SONNET_45}` }] },
      /targets\.0\.model us\.anthropic\.claude-sonnet-4-5-20250929-v1:0 is anthropic\.claude-sonnet-4-5-20250929-v1:0, but the job's model us\.anthropic\.claude-3-haiku-20240307-v1:0 is anthropic\.claude-3-haiku-20240307-v1:0/,
    ],
    [
      { targets: [{ region: "us-east-1", model: "anthropic.claude-3-haikuu" }] },
      /targets\.0\.model is not a model id Quarry can call: Unknown model id/,
    ],
    [{ targets: ["us-east-1", "us-east-1"] }, /targets\.1 repeats targets\.0 \(us-east-1/],
    [
      { region: "us-east-1", targets: ["us-west-2"] },
      /region cannot be used with targets: give each target its own region/,
    ],
    [
      { endpoint: "http://127.0.0.1:1", targets: ["us-west-2"] },
      /endpoint cannot be a URL with targets: give each target its own endpoint/,
    ],
  ])("refuses a bad one before anything is sent: %j", (fields, message) => {
    expect(() => resolveJobSpec({ ...JOB, ...fields })).toThrow(message);
  });

  it("prices what prompt caching saved where the call ran", () => {
    const places = [
      { region: "us-east-1", model: resolveModel(`us.${SONNET_45}`) },
      { region: "us-west-2", model: resolveModel(`global.${SONNET_45}`) },
    ];
    const savings = cacheSavings(places);
    const usage = { inputTokens: 20, outputTokens: 10, cacheReadInputTokens: 3_000 };
    const atFirst = savings(usage);
    expect(atFirst).toBeGreaterThan(0);
    expect(savings(usage, { region: "us-east-1", model: `us.${SONNET_45}` })).toBe(atFirst);
    // The global profile is priced 10% below the geographic one, and so is what it saved.
    expect(savings(usage, { region: "us-west-2", model: `global.${SONNET_45}` })).toBeCloseTo(
      atFirst / 1.1,
      12,
    );
    expect(savings({ inputTokens: 20, outputTokens: 10 })).toBe(0);
  });

  it("names the job file and line of a target that calls another model", async () => {
    const folder = await mkdtemp(join(tmpdir(), "quarry-targets-"));
    await writeFile(
      join(folder, "job.yaml"),
      `model: us.${HAIKU}\nprompt: { text: "Hi {x}" }\ninput: rows.csv\ntargets:\n  - us-east-1\n  - region: eu-west-1\n    model: eu.${SONNET_45}\n`,
    );
    const error = await loadJobSpec(folder).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "input.job-spec", field: "targets.1.model", line: 7 });
    expect((error as Error).message).toContain(join(folder, "job.yaml"));
  });
});

describe("a job spread over two Regions, each its own emulator", () => {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });

  async function twoRegions(west: Record<string, unknown> = {}) {
    const east = await startEmulator({ port: 0, config: { region: "us-east-1" } });
    const westEmulator = await startEmulator({
      port: 0,
      config: { region: "us-west-2", ...west },
    });
    started.push(east, westEmulator);
    return { east, west: westEmulator };
  }

  async function spec(targets: unknown[], extra: Record<string, unknown> = {}): Promise<JobSpec> {
    const folder = await mkdtemp(join(tmpdir(), "quarry-spread-job-"));
    const rows = Array.from({ length: 60 }, (_, index) => `r${index},river ${index}`);
    await writeFile(join(folder, "rows.csv"), `id,thing\n${rows.join("\n")}\n`);
    return resolveJobSpec(
      {
        model: `us.${SONNET_45}`,
        prompt: { text: "Name a {thing} in ten words." },
        input: "rows.csv",
        id: "id",
        maxTokens: 100,
        targets,
        // Two calls at once per Region, so that the records spread over both.
        limits: { concurrency: 2 },
        retry: { initialDelayMs: 1, maxDelayMs: 4 },
        ...extra,
      },
      { baseDir: folder },
    );
  }

  async function journalOf(job: JobSpec): Promise<JournalEntry[]> {
    const text = await readFile(journalPaths(job.output).journal, "utf8");
    return text
      .split("\n")
      .slice(1)
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as JournalEntry);
  }

  it("completes every record exactly once, records the target, and prices it there", async () => {
    const { east, west } = await twoRegions();
    const job = await spec([
      { region: "us-east-1", model: `us.${SONNET_45}`, endpoint: east.url },
      { region: "us-west-2", model: `global.${SONNET_45}`, endpoint: west.url },
    ]);
    const summary = await runJobSpec({ spec: job, report: false });
    expect(summary).toMatchObject({ records: 60, completed: 60, failed: 0, pending: 0 });
    expect(summary.region).toBe("us-east-1, us-west-2");

    const entries = await journalOf(job);
    expect(entries).toHaveLength(60);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(60);
    const byRegion = { "us-east-1": 0, "us-west-2": 0 };
    for (const entry of entries) {
      expect(entry.target).toEqual(
        entry.target?.region === "us-east-1"
          ? { region: "us-east-1", model: `us.${SONNET_45}` }
          : { region: "us-west-2", model: `global.${SONNET_45}` },
      );
      byRegion[entry.target!.region as keyof typeof byRegion]++;
      // Priced where it ran: the global profile is 10% below the geographic one.
      const price = estimateCost({
        model: entry.target!.model,
        region: entry.target!.region,
        inputTokens: entry.usage?.inputTokens ?? 0,
        outputTokens: entry.usage?.outputTokens ?? 0,
      }).usd!;
      expect(entry.costUsd).toBeCloseTo(price, 9);
    }
    // Each Region's emulator answered exactly the records journaled as run there.
    expect(byRegion["us-east-1"]).toBe(east.stats().byOperation.Converse?.ok);
    expect(byRegion["us-west-2"]).toBe(west.stats().byOperation.Converse?.ok);
    expect(Math.min(byRegion["us-east-1"], byRegion["us-west-2"])).toBeGreaterThan(10);
    // The estimate prices at the dearer target and says the targets differ.
    expect(summary.estimate.priceNotes.join(" ")).toMatch(/The targets differ in price/);
    const usage = { inputTokens: 1000, outputTokens: 100 };
    const us = estimateCost({ model: `us.${SONNET_45}`, region: "us-east-1", ...usage }).usd!;
    const global = estimateCost({ model: `global.${SONNET_45}`, region: "us-west-2", ...usage })
      .usd!;
    expect(global).toBeCloseTo(us / 1.1, 9);
  });

  it("finishes every record on the other Region when one answers every call with a 500", async () => {
    const { east, west } = await twoRegions({ faults: { internalServerError: 1 } });
    const job = await spec([
      { region: "us-east-1", endpoint: east.url },
      { region: "us-west-2", endpoint: west.url },
    ]);
    const summary = await runJobSpec({ spec: job, report: false });
    expect(summary).toMatchObject({ completed: 60, failed: 0, pending: 0, stopped: undefined });
    const entries = await journalOf(job);
    expect(entries).toHaveLength(60);
    expect(entries.every((entry) => entry.target?.region === "us-east-1")).toBe(true);
    expect(east.stats().byOperation.Converse?.ok).toBe(60);
    expect(west.stats().byOperation.Converse?.ok).toBeUndefined();
  });

  it("starts an embedded emulator per Region for endpoint: local, and resumes when only the targets changed", async () => {
    const job = await spec(["us-east-1", "us-west-2"], { endpoint: "local", rows: 30 });
    const first = await runJobSpec({ spec: job, report: false });
    expect(first).toMatchObject({ completed: 30, failed: 0 });
    expect(first.endpoint).toMatch(
      /^us-east-1 embedded emulator \(http:\/\/127\.0\.0\.1:\d+\), us-west-2 embedded emulator \(http:\/\/127\.0\.0\.1:\d+\)$/,
    );
    const regions = new Set((await journalOf(job)).map((entry) => entry.target?.region));
    expect(regions).toEqual(new Set(["us-east-1", "us-west-2"]));

    // Another set of targets is the same job: the journal is resumed, nothing is sent twice.
    const moved = {
      ...job,
      targets: [{ region: "eu-west-1", model: `eu.${SONNET_45}` }],
      rows: 60,
    };
    const second = await runJobSpec({ spec: moved, report: false });
    expect(second).toMatchObject({ resumed: 30, completed: 30, failed: 0 });
    const entries = await journalOf(job);
    expect(entries).toHaveLength(60);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(60);
    expect(entries.slice(30).every((entry) => entry.target?.region === "eu-west-1")).toBe(true);
  });
});
