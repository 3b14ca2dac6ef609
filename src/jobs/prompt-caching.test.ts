import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSummary } from "../cli/format-summary.js";
import { resolveModel } from "../models/resolve-model.js";
import { runJobSpec } from "./job-run.js";
import { loadJobSpec } from "./job-spec.js";
import { planPromptCache } from "./plan-prompt-cache.js";
import { PromptTemplate } from "./prompt-template.js";

const HAIKU_35 = "anthropic.claude-3-5-haiku-20241022-v1:0"; // caches from 2,048 tokens
const NOVA_PRO = "amazon.nova-pro-v1:0"; // caches from 1,000 tokens

const WORDS = ["granite", "harbor", "lantern", "meadow", "orchard", "quarry", "willow", "copper"];
/** `count` plain words: as many tokens to the emulator, about twice as many to the estimate. */
const words = (count: number, seed = 0) =>
  Array.from({ length: count }, (_, index) => WORDS[(index * 3 + seed) % WORDS.length]).join(" ");

const ROWS =
  "code,name\nAL,Alabama\nAK,Alaska\nAZ,Arizona\nAR,Arkansas\nCA,California\nCO,Colorado\n";

async function jobFolder(job: Record<string, unknown>, files: Record<string, string>) {
  const folder = await mkdtemp(join(tmpdir(), "quarry-cache-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
  await writeFile(join(folder, "job.yaml"), JSON.stringify(job, null, 2));
  return folder;
}

async function outputLines(path: string): Promise<any[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

const job = (extra: Record<string, unknown>) => ({
  model: HAIKU_35,
  endpoint: "local",
  prompt: "prompt.txt",
  input: "rows.csv",
  id: "code",
  output: "out/results.jsonl",
  maxTokens: 40,
  // Known, generous limits: the scheduler need not discover a quota for these long prompts.
  limits: { tpm: 10_000_000, rpm: 100_000, concurrency: 8 },
  ...extra,
});

describe("prompt caching in a job on the embedded emulator", () => {
  it("caches a long shared system prompt: one write, then reads on every other record, and says what it saved", async () => {
    const system = words(3_000, 1);
    const folder = await jobFolder(job({ system: { file: "system.txt" } }), {
      "system.txt": system,
      "prompt.txt": "Name the state flower of {name}.",
      "rows.csv": ROWS,
    });
    const summary = await runJobSpec({ spec: await loadJobSpec(folder) });
    expect(summary).toMatchObject({ completed: 6, failed: 0 });
    expect(summary.cacheWriteInputTokens).toBe(3_000);
    expect(summary.cacheReadInputTokens).toBe(5 * 3_000);
    expect(summary.cacheSavingsUsd).toBeGreaterThan(0);

    const lines = await outputLines(join(folder, "out/results.jsonl"));
    const writers = lines.filter((line) => line.usage.cacheWriteInputTokens);
    const readers = lines.filter((line) => line.usage.cacheReadInputTokens === 3_000);
    expect(writers).toHaveLength(1);
    expect(writers[0].usage.cacheReadInputTokens).toBeUndefined();
    expect(readers).toHaveLength(5);
    // The uncached rest is the short prompt only; the cached tokens are priced lower.
    for (const line of readers) expect(line.usage.inputTokens).toBeLessThan(20);
    expect(Math.max(...readers.map((line) => line.costUsd))).toBeLessThan(writers[0].costUsd);

    const report = await readFile(join(folder, "out/results.report.html"), "utf8");
    expect(report).toContain("Saved by prompt caching");
    expect(report).toContain(`$${summary.cacheSavingsUsd.toFixed(4)}`);
    const printed = formatSummary(summary);
    expect(printed).toContain("Prompt cache: 15,000 input tokens read, 3,000 written · saved $");
  });

  it("does not cache when the system prompt varies per row", async () => {
    const folder = await jobFolder(job({ system: { file: "system.txt" } }), {
      "system.txt": `You answer about {name}.\n${words(3_000, 2)}`,
      "prompt.txt": "Name the state flower of {name}.",
      "rows.csv": ROWS,
    });
    const summary = await runJobSpec({ spec: await loadJobSpec(folder) });
    expect(summary).toMatchObject({
      completed: 6,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
      cacheSavingsUsd: 0,
    });
    expect(formatSummary(summary)).not.toContain("Prompt cache");
    const lines = await outputLines(join(folder, "out/results.jsonl"));
    expect(lines.every((line) => line.usage.inputTokens > 3_000)).toBe(true);
  });

  it("caches the prompt's static opening without changing the text the model reads", async () => {
    // The scripted reply matches only the prompt exactly as rendered, across the cache point.
    const opening = `${words(1_400, 3)}\n`;
    const folder = await jobFolder(
      job({
        model: NOVA_PRO,
        emulator: {
          responder: {
            script: [
              { contains: `${opening}Describe the flower of Alaska.`, reply: "Forget-me-not." },
            ],
          },
        },
      }),
      { "prompt.txt": `${opening}Describe the flower of {name}.`, "rows.csv": ROWS },
    );
    const summary = await runJobSpec({ spec: await loadJobSpec(folder) });
    expect(summary.cacheWriteInputTokens).toBe(1_400);
    expect(summary.cacheReadInputTokens).toBe(5 * 1_400);
    const lines = await outputLines(join(folder, "out/results.jsonl"));
    expect(lines.find((line) => line.id === "AK").result).toBe("Forget-me-not.");
  });

  it("sends no cache point with promptCaching: off", async () => {
    const folder = await jobFolder(job({ system: { file: "system.txt" }, promptCaching: "off" }), {
      "system.txt": words(3_000, 4),
      "prompt.txt": "Name the state flower of {name}.",
      "rows.csv": ROWS,
    });
    const summary = await runJobSpec({ spec: await loadJobSpec(folder) });
    expect(summary).toMatchObject({ completed: 6, cacheReadInputTokens: 0 });
  });

  it("refuses a promptCaching value it does not know, saying what it expects", async () => {
    const folder = await jobFolder(job({ promptCaching: "always" }), {
      "prompt.txt": "Flower of {name}.",
      "rows.csv": ROWS,
    });
    await expect(loadJobSpec(folder)).rejects.toThrow(
      /promptCaching must be "auto" .* or "off", got "always"/,
    );
  });
});

describe("planPromptCache", () => {
  const claude = resolveModel(HAIKU_35);
  const plan = (
    template: string,
    system?: string,
    model = claude,
    promptCaching: "auto" | "off" = "auto",
  ) =>
    planPromptCache({
      spec: { promptCaching },
      model,
      template: new PromptTemplate(template),
      ...(system !== undefined ? { system: new PromptTemplate(system) } : {}),
    });
  // The local estimate counts about 4 characters a token: 2,100 words of ~7 letters ≈ 4,000.
  const long = words(2_100);

  it("places a checkpoint after a static system prompt that reaches the minimum", () => {
    expect(plan("Flower of {name}.", long)).toEqual({ afterSystem: true });
  });

  it("closes the prompt's static opening at its last line break", () => {
    expect(plan(`${long}\nNow: flower of {name}.`)).toEqual({
      afterSystem: false,
      promptPrefix: `${long}\n`,
    });
  });

  it("counts a prompt checkpoint from the system prompt's, per Bedrock's per-checkpoint minimum", () => {
    // Short system (not cached alone) + long opening: one checkpoint covering both.
    expect(plan(`${long}\n{name}`, "Be brief.")).toEqual({
      afterSystem: false,
      promptPrefix: `${long}\n`,
    });
    // Long system cached: the opening must add the minimum again.
    expect(plan("Intro line.\n{name}", long)).toEqual({ afterSystem: true });
    expect(plan(`${long}\n{name}`, long)).toEqual({ afterSystem: true, promptPrefix: `${long}\n` });
  });

  it("places none below the minimum, for a varying system prompt, a model without caching, or off", () => {
    expect(plan("Flower of {name}.", "Be brief.")).toBeUndefined();
    expect(plan(`${long}\n{name}`, "About {name}.")).toBeUndefined();
    expect(
      plan(`${long}\n{name}`, long, resolveModel("meta.llama3-8b-instruct-v1:0")),
    ).toBeUndefined();
    expect(plan(`${long}\n{name}`, long, claude, "off")).toBeUndefined();
  });
});
