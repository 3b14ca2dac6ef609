import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import type { EmulatorConfigInput } from "../emulator/config/emulator-config.js";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { SeededRandom } from "../emulator/state/seeded-random.js";
import { TEST_CREDENTIALS } from "../test-support/sdk-clients.js";
import { createQuarry, type Quarry } from "./create-quarry.js";
import type { QuarryOptions } from "./quarry-options.js";

// Spreading over two Regions, each its own emulator with its own quota, through the real AWS
// SDK. The emulators and the client share one manual clock: time moves only when no request is
// in flight, to the next timer (a limiter's wait, a backoff), so the figures do not depend on
// how fast the machine is.

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0";
const TITAN_EMBED = "amazon.titan-embed-text-v2:0";

interface Region {
  readonly emulator: Emulator;
  /** Requests the emulator answered, by outcome, over every operation. */
  outcomes(): Record<string, number>;
  /** Requests answered from `fromSecond` on (emulator time), by kind. */
  since(fromSecond: number): { ok: number; throttled: number; faults: number };
}

describe("calls spread over targets in two Regions", () => {
  const started: Emulator[] = [];
  const quarries: Quarry[] = [];
  afterEach(async () => {
    for (const quarry of quarries.splice(0)) quarry.destroy();
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });

  async function region(
    clock: ManualClock,
    name: string,
    config: EmulatorConfigInput,
  ): Promise<Region> {
    const emulator = await startEmulator({ port: 0, clock, config: { region: name, ...config } });
    started.push(emulator);
    return {
      emulator,
      outcomes: () => emulator.stats().byOutcome,
      since(fromSecond) {
        const total = { ok: 0, throttled: 0, faults: 0 };
        for (const second of emulator.stats().timeline) {
          if (second.second < fromSecond) continue;
          total.ok += second.ok;
          total.throttled += second.throttled;
          total.faults += second.faults;
        }
        return total;
      },
    };
  }

  async function setUp(
    east: EmulatorConfigInput,
    west: EmulatorConfigInput,
    options: Partial<QuarryOptions> = {},
  ) {
    const clock = new ManualClock();
    const regions = {
      east: await region(clock, "us-east-1", east),
      west: await region(clock, "us-west-2", west),
    };
    const random = new SeededRandom(7);
    const quarry = createQuarry({
      targets: [
        { region: "us-east-1", endpoint: regions.east.emulator.url },
        { region: "us-west-2", endpoint: regions.west.emulator.url },
      ],
      model: HAIKU,
      credentials: TEST_CREDENTIALS,
      proxy: false,
      clock,
      scheduler: { clock, random: () => random.next() },
      ...options,
    });
    quarries.push(quarry);
    return { clock, quarry, ...regions };
  }

  /**
   * Runs `work` on manual time: while a request is in flight the loop only yields to the event
   * loop; when none is, the clock jumps to the next timer.
   */
  async function onManualTime<T>(
    clock: ManualClock,
    quarry: Quarry,
    work: Promise<T>,
  ): Promise<{ value: T; minutes: number }> {
    const startedAt = clock.now();
    let done = false;
    let value: T | undefined;
    let failure: unknown;
    work.then(
      (result) => {
        value = result;
        done = true;
      },
      (error: unknown) => {
        failure = error;
        done = true;
      },
    );
    const deadline = performance.now() + 60_000;
    while (!done) {
      if (performance.now() > deadline) throw new Error("the workload did not finish");
      await new Promise((resolve) => setImmediate(resolve));
      if (done) break;
      const next = clock.nextDueAt;
      if (next === undefined) continue;
      if (next <= clock.now()) await clock.advance(0);
      else if (quarry.scheduler.stats().inFlight === 0) await clock.advance(next - clock.now());
    }
    if (failure !== undefined) throw failure;
    return { value: value as T, minutes: (clock.now() - startedAt) / 60_000 };
  }

  function invokeAll(quarry: Quarry, count: number) {
    return Promise.all(
      Array.from({ length: count }, (_, index) =>
        quarry.invoke({ prompt: `Name a river, ${index}.`, maxTokens: 60, recordId: `r${index}` }),
      ),
    );
  }

  it("gives each Region a share at about twice one Region's quota, with few throttles", async () => {
    const quota = { quotas: { "*": { rpm: 60 } } };
    const { clock, quarry, east, west } = await setUp(quota, quota);
    const { value: replies, minutes } = await onManualTime(clock, quarry, invokeAll(quarry, 480));

    expect(replies).toHaveLength(480);
    const byRegion = { "us-east-1": 0, "us-west-2": 0 };
    for (const reply of replies) byRegion[reply.region as keyof typeof byRegion]++;
    const eastOk = east.outcomes().ok ?? 0;
    const westOk = west.outcomes().ok ?? 0;
    expect(byRegion).toEqual({ "us-east-1": eastOk, "us-west-2": westOk });
    expect(eastOk + westOk).toBe(480);
    // Each Region carried a fair share...
    expect(Math.min(eastOk, westOk)).toBeGreaterThan(480 * 0.35);
    // ...and neither was throttled more than a few percent of what it was sent.
    for (const stats of [east.outcomes(), west.outcomes()]) {
      const throttled = stats["throttled:rpm"] ?? 0;
      expect(throttled / (throttled + (stats.ok ?? 0))).toBeLessThan(0.05);
    }
    // Two quotas of 60 a minute, each starting with a full bucket (a minute's worth): 360 more
    // at 120 a minute is 3 minutes; one Region alone would need 7.
    console.log(
      `[spread] 480 calls over 2 × 60 rpm: ${minutes.toFixed(2)} min of manual time, east ${eastOk} ok ${east.outcomes()["throttled:rpm"] ?? 0} throttled, west ${westOk} ok ${west.outcomes()["throttled:rpm"] ?? 0} throttled`,
    );
    expect(minutes).toBeGreaterThan(2.9);
    expect(minutes).toBeLessThan(4);
  });

  it("moves the work to the other Region when one Region's quota drops mid-run", async () => {
    const { clock, quarry, east, west } = await setUp(
      { quotas: { "*": { rpm: 60, schedule: [{ atSeconds: 60, rpm: 6 }] } } },
      { quotas: { "*": { rpm: 60 } } },
    );
    const { value: replies, minutes } = await onManualTime(clock, quarry, invokeAll(quarry, 480));
    expect(replies).toHaveLength(480);
    // Half a minute after the drop the limiters have re-learned: east gets what its 6 a minute
    // allow, west the rest.
    const eastAfter = east.since(90);
    const westAfter = west.since(90);
    console.log(
      `[spread] east drops to 6 rpm at 60 s: ${minutes.toFixed(2)} min; from 90 s on east ${eastAfter.ok} ok ${eastAfter.throttled} throttled, west ${westAfter.ok} ok ${westAfter.throttled} throttled; overall east ${JSON.stringify(east.outcomes())}, west ${JSON.stringify(west.outcomes())}`,
    );
    const afterMinutes = minutes - 1.5;
    expect(eastAfter.ok).toBeLessThanOrEqual(Math.ceil(6 * afterMinutes) + 6);
    expect(westAfter.ok).toBeGreaterThan(eastAfter.ok * 5);
    expect(westAfter.throttled).toBeLessThan(westAfter.ok * 0.05);
    // East's refusals stay a small part of what is sent, though its quota fell tenfold.
    const sent = east.outcomes().ok! + west.outcomes().ok!;
    const throttled =
      (east.outcomes()["throttled:rpm"] ?? 0) + (west.outcomes()["throttled:rpm"] ?? 0);
    expect(sent).toBe(480);
    expect(throttled / (sent + throttled)).toBeLessThan(0.15);
  });

  it("completes every call on the other Region when one answers every request with a 500", async () => {
    const { clock, quarry, east, west } = await setUp(
      { faults: { internalServerError: 1 } },
      { quotas: { "*": { rpm: 60 } } },
    );
    const { value: replies } = await onManualTime(clock, quarry, invokeAll(quarry, 150));
    expect(replies).toHaveLength(150);
    expect(replies.every((reply) => reply.region === "us-west-2")).toBe(true);
    expect(west.outcomes().ok).toBe(150);
    // The failing Region is left out after a few faults and only probed now and then.
    const faults = east.outcomes()["fault:internalServerError"] ?? 0;
    console.log(`[spread] east always 500: ${faults} faults for 150 calls completed on west`);
    expect(faults).toBeGreaterThan(0);
    expect(faults).toBeLessThan(30);
    expect(east.outcomes().ok).toBeUndefined();
  });
});

describe("every operation honours the targets", () => {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });

  async function profiles(west: EmulatorConfigInput = {}) {
    const east = await startEmulator({ port: 0, config: { region: "us-east-1" } });
    const eu = await startEmulator({ port: 0, config: { region: "eu-west-1", ...west } });
    started.push(east, eu);
    const quarry = createQuarry({
      targets: [
        { region: "us-east-1", model: `us.${SONNET_4}`, endpoint: east.url },
        { region: "eu-west-1", model: `eu.${SONNET_4}`, endpoint: eu.url },
      ],
      credentials: TEST_CREDENTIALS,
      proxy: false,
      // Known limits, so that no time goes into discovering them: two calls at once per
      // Region, so that eight at once are spread over both (a call goes to the first target
      // with room).
      scheduler: { limits: { "*": { concurrency: 2, tpm: 1e9, rpm: 1e7 } } },
    });
    return { quarry, east, eu };
  }

  const calls = (
    count: number,
    make: (index: number) => Promise<{ modelId: string; region?: string }>,
  ) => Promise.all(Array.from({ length: count }, (_, index) => make(index)));

  it("sends each attempt to the chosen Region with that Region's profile id", async () => {
    const { quarry, east, eu } = await profiles();
    try {
      const prompt = (index: number) => `Name a lake, ${index}.`;
      const outcomes = [
        ...(await calls(8, (i) => quarry.invoke({ prompt: prompt(i), maxTokens: 50 }))),
        ...(await calls(8, (i) => quarry.converse({ prompt: prompt(i), maxTokens: 50 }))),
        ...(await calls(8, (i) => quarry.stream({ prompt: prompt(i), maxTokens: 50 }).result())),
        ...(await calls(8, (i) =>
          quarry.converseStream({ prompt: prompt(i), maxTokens: 50 }).result(),
        )),
      ];
      for (const outcome of outcomes)
        expect([outcome.region, outcome.modelId]).toEqual(
          outcome.region === "us-east-1"
            ? ["us-east-1", `us.${SONNET_4}`]
            : ["eu-west-1", `eu.${SONNET_4}`],
        );
      // Each emulator saw only its own Region's profile id, for every operation.
      expect(Object.keys(east.stats().byModel)).toEqual([`us.${SONNET_4}`]);
      expect(Object.keys(eu.stats().byModel)).toEqual([`eu.${SONNET_4}`]);
      for (const operation of [
        "InvokeModel",
        "Converse",
        "InvokeModelWithResponseStream",
        "ConverseStream",
      ]) {
        const total =
          (east.stats().byOperation[operation]?.ok ?? 0) +
          (eu.stats().byOperation[operation]?.ok ?? 0);
        expect(total, operation).toBe(8);
      }
      expect(east.stats().requests).toBeGreaterThan(0);
      expect(eu.stats().requests).toBeGreaterThan(0);

      // CountTokens is not spread: the first target counts.
      const counted = await quarry.countTokens({ prompt: "Count me." });
      expect(counted).toMatchObject({
        region: "us-east-1",
        modelId: `us.${SONNET_4}`,
        estimated: false,
      });
      expect(east.stats().byOperation.CountTokens).toEqual({ ok: 1 });

      // A call for another model runs under its own id in every target's Region.
      const embedded = await quarry.embed({
        model: TITAN_EMBED,
        texts: ["a", "b", "c", "d", "e", "f", "g", "h"],
      });
      expect(embedded.vectors).toHaveLength(8);
      const embeds = (emulator: Emulator) => emulator.stats().byModel[TITAN_EMBED]?.ok ?? 0;
      expect(embeds(east) + embeds(eu)).toBe(8);
    } finally {
      quarry.destroy();
    }
  });

  it("names the Region and model id of the target a failure came from", async () => {
    const { quarry } = await profiles({ deniedModels: [SONNET_4] });
    try {
      const settled = await Promise.allSettled(
        Array.from({ length: 12 }, (_, index) =>
          quarry.converse({ prompt: `Name a hill, ${index}.`, maxTokens: 50 }),
        ),
      );
      const failures = settled.filter((result) => result.status === "rejected");
      const successes = settled.filter((result) => result.status === "fulfilled");
      expect(failures.length).toBeGreaterThan(0);
      expect(successes.length).toBeGreaterThan(0);
      for (const failure of failures) {
        const error = (failure as PromiseRejectedResult).reason as Error & { model?: string };
        expect(error.message).toContain(`Access to eu.${SONNET_4} is denied in eu-west-1`);
        expect(error.model).toBe(`eu.${SONNET_4}`);
      }
      for (const success of successes)
        expect((success as PromiseFulfilledResult<{ region?: string }>).value.region).toBe(
          "us-east-1",
        );
    } finally {
      quarry.destroy();
    }
  });
});
