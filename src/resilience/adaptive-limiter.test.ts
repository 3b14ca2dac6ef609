import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { AdaptiveLimiter } from "./adaptive-limiter.js";
import type { Permit } from "./rate-limiter.js";
import { TokenBucket } from "./token-bucket.js";

const COST = { inputTokens: 500, maxTokens: 500, outputBurndown: 1 }; // reserves 1,000
const USAGE = { inputTokens: 500, outputTokens: 100 }; // charges 600

function grantedCount(promises: Promise<Permit>[], granted: Permit[]): void {
  for (const promise of promises) void promise.then((permit) => granted.push(permit));
}

/**
 * Runs `workers` loops of acquire → provider admission → 2 s call → record against a provider
 * bucket of `tpm()` tokens per minute (read each call, so a test can move it), for `minutes`.
 * Returns the calls the provider admitted per minute, and throttles.
 */
async function drive(
  limiter: AdaptiveLimiter,
  clock: ManualClock,
  tpm: () => number,
  minutes: number,
  workers = 64,
): Promise<{ perMinute: number[]; throttles: number }> {
  const provider = new TokenBucket({ capacity: tpm(), clock });
  const perMinute: number[] = [];
  let throttles = 0;
  const end = minutes * 60_000;
  const controller = new AbortController();
  const loops = Array.from({ length: workers }, async () => {
    while (clock.now() < end) {
      let permit: Permit;
      try {
        permit = await limiter.acquire(COST, controller.signal);
      } catch {
        return;
      }
      if (provider.capacity !== tpm()) provider.resize(tpm());
      if (!provider.tryTake(permit.reservedTokens)) {
        throttles++;
        await clock.sleep(20);
        limiter.record({ permit, kind: "throttled", name: "ThrottlingException" });
        continue;
      }
      await clock.sleep(2_000);
      provider.refund(400);
      const minute = Math.floor(clock.now() / 60_000);
      perMinute[minute] = (perMinute[minute] ?? 0) + 1;
      limiter.record({ permit, kind: "success", latencyMs: 2_000, usage: USAGE });
    }
  });
  while (clock.now() < end) await clock.advance(Math.min(1_000, end - clock.now()));
  controller.abort();
  await clock.runAll(10_000);
  await Promise.all(loops);
  return { perMinute, throttles };
}

describe("AdaptiveLimiter", () => {
  it("starts cautiously: a few calls at once, a few reservations' worth of tokens", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const granted: Permit[] = [];
    grantedCount(
      Array.from({ length: 10 }, () => limiter.acquire(COST)),
      granted,
    );
    await clock.advance(0);
    expect(granted).toHaveLength(4);
    const snapshot = limiter.snapshot();
    expect(snapshot.concurrency).toBe(4);
    expect(snapshot.tokensPerMinute).toBe(4_000);
    expect(snapshot.slowStart).toBe(true);
    expect(snapshot.waiting).toBe(6);
  });

  it("grows concurrency and the token rate while calls that waited succeed", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const granted: Permit[] = [];
    grantedCount(
      Array.from({ length: 40 }, () => limiter.acquire(COST)),
      granted,
    );
    await clock.advance(0);
    for (const permit of granted.splice(0)) {
      await clock.advance(500);
      limiter.record({ permit, kind: "success", latencyMs: 2_000, usage: USAGE });
    }
    const snapshot = limiter.snapshot();
    expect(snapshot.concurrency).toBe(8);
    expect(snapshot.tokensPerMinute).toBeGreaterThan(8_000);
  });

  it("settles just under a token quota it was not told, with few throttles", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    // 60,000 tokens a minute at 600 tokens a call: at most 100 calls a minute.
    const { perMinute, throttles } = await drive(limiter, clock, () => 60_000, 12);
    const steady = perMinute.slice(4, 12);
    const average = steady.reduce((sum, count) => sum + count, 0) / steady.length;
    expect(average).toBeGreaterThan(92);
    expect(average).toBeLessThanOrEqual(101);
    const total = perMinute.reduce((sum, count) => sum + count, 0);
    expect(throttles / total).toBeLessThan(0.03);
    const snapshot = limiter.snapshot();
    expect(snapshot.measuredTokensPerMinute).toBeGreaterThan(45_000);
    expect(snapshot.measuredTokensPerMinute).toBeLessThan(80_000);
    expect(snapshot.slowStart).toBe(false);
  });

  it("decreases multiplicatively on a throttle and re-synchronises its shadow bucket", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const granted: Permit[] = [];
    grantedCount([limiter.acquire(COST), limiter.acquire(COST)], granted);
    await clock.advance(0);
    const before = limiter.snapshot().tokensPerMinute!;
    limiter.record({ permit: granted[0]!, kind: "throttled", name: "ThrottlingException" });
    const after = limiter.snapshot();
    expect(after.tokensPerMinute).toBeLessThanOrEqual(before * 0.7 + 1e-9);
    expect(after.throttles).toBe(1);
    // The shadow is empty: the next call waits for it to refill.
    let next = false;
    void limiter.acquire(COST).then(() => {
      next = true;
    });
    await clock.advance(0);
    expect(next).toBe(false);
    expect(limiter.expectedDelay(COST)).toBeGreaterThan(0);
    // A throttle of a call granted before that cut does not cut again.
    limiter.record({ permit: granted[1]!, kind: "throttled", name: "ThrottlingException" });
    expect(limiter.snapshot().tokensPerMinute).toBe(after.tokensPerMinute);
  });

  it("re-adapts when the limit moves down and back up mid-run", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    let tpm = 60_000;
    const run = drive(limiter, clock, () => tpm, 30);
    await clock.advance(0);
    while (clock.now() < 10 * 60_000) await clock.advance(1_000);
    tpm = 30_000;
    while (clock.now() < 20 * 60_000) await clock.advance(1_000);
    tpm = 60_000;
    const { perMinute, throttles } = await run;
    const average = (from: number, to: number) =>
      perMinute.slice(from, to).reduce((sum, count) => sum + count, 0) / (to - from);
    expect(average(5, 10)).toBeGreaterThan(90); // 100 allowed
    expect(average(12, 20)).toBeGreaterThan(44); // 50 allowed
    expect(average(12, 20)).toBeLessThanOrEqual(51);
    expect(perMinute[10]).toBeGreaterThan(0); // the minute of the drop itself
    expect(average(23, 30)).toBeGreaterThan(88); // 100 allowed again
    const total = perMinute.reduce((sum, count) => sum + count, 0);
    expect(throttles / total).toBeLessThan(0.03);
  });

  it("uses known limits directly and never moves them", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({
      clock,
      limits: { tpm: 3_000, rpm: 2, concurrency: 1 },
    });
    const granted: Permit[] = [];
    grantedCount(
      Array.from({ length: 3 }, () => limiter.acquire(COST)),
      granted,
    );
    await clock.advance(0);
    expect(granted).toHaveLength(1);
    limiter.record({ permit: granted[0]!, kind: "success", latencyMs: 10, usage: USAGE });
    await clock.advance(0);
    expect(granted).toHaveLength(2);
    limiter.record({ permit: granted[1]!, kind: "throttled", name: "ThrottlingException" });
    const snapshot = limiter.snapshot();
    expect(snapshot.tokensPerMinute).toBe(3_000);
    expect(snapshot.requestsPerMinute).toBe(2);
    expect(snapshot.concurrency).toBe(1);
    // rpm 2 is spent (the throttled call was given back, the shadow then emptied): the third
    // call waits for the request bucket to refill.
    await clock.advance(1_000);
    expect(granted).toHaveLength(2);
    await clock.advance(60_000);
    expect(granted).toHaveLength(3);
  });

  it("refuses a call whose reservation can never fit a known token limit", async () => {
    const limiter = new AdaptiveLimiter({ clock: new ManualClock(), limits: { tpm: 999 } });
    await expect(limiter.acquire(COST)).rejects.toThrow(/can never fit/);
  });

  it("ModelNotReady shrinks the rate less than a throttle", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const granted: Permit[] = [];
    grantedCount([limiter.acquire(COST)], granted);
    await clock.advance(0);
    const before = limiter.snapshot().tokensPerMinute!;
    limiter.record({
      permit: granted[0]!,
      kind: "model-not-ready",
      name: "ModelNotReadyException",
    });
    const after = limiter.snapshot().tokensPerMinute!;
    expect(after).toBeCloseTo(before * 0.9, 6);
    expect(limiter.snapshot().throttles).toBe(0);
  });

  it("503 'Too many connections' shrinks concurrency", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const granted: Permit[] = [];
    grantedCount(
      Array.from({ length: 4 }, () => limiter.acquire(COST)),
      granted,
    );
    await clock.advance(0);
    limiter.record({
      permit: granted[0]!,
      kind: "transient",
      name: "ServiceUnavailableException",
    });
    expect(limiter.snapshot().concurrency).toBe(2);
    // Other transient errors leave concurrency alone.
    limiter.record({ permit: granted[1]!, kind: "transient", name: "InternalServerException" });
    expect(limiter.snapshot().concurrency).toBe(2);
  });

  it("an exhausted quota pauses the lane instead of hot-looping", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const granted: Permit[] = [];
    grantedCount([limiter.acquire(COST)], granted);
    await clock.advance(0);
    limiter.record({
      permit: granted[0]!,
      kind: "quota-exhausted",
      name: "ServiceQuotaExceededException",
      pauseMs: 120_000,
    });
    expect(limiter.snapshot().pausedUntil).toBe(120_000);
    grantedCount([limiter.acquire(COST)], granted);
    await clock.advance(119_000);
    expect(granted).toHaveLength(1);
    await clock.advance(1_000);
    expect(granted).toHaveLength(2);
  });

  it("an aborted wait rejects promptly and frees its place", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock, limits: { concurrency: 1 } });
    const granted: Permit[] = [];
    grantedCount([limiter.acquire(COST)], granted);
    const controller = new AbortController();
    const waiting = limiter.acquire(COST, controller.signal);
    grantedCount([limiter.acquire(COST)], granted);
    await clock.advance(0);
    expect(limiter.snapshot().waiting).toBe(2);
    controller.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
    expect(limiter.snapshot().waiting).toBe(1);
    limiter.record({ permit: granted[0]!, kind: "aborted", name: "AbortError" });
    await clock.advance(0);
    expect(granted).toHaveLength(2);
    expect(limiter.snapshot().inFlight).toBe(1);
  });

  it("serves retries ahead of first tries", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock, limits: { concurrency: 1 } });
    const order: string[] = [];
    const first = await limiter.acquire(COST);
    void limiter.acquire(COST).then(() => order.push("first try"));
    void limiter.acquire(COST, undefined, true).then(() => order.push("retry"));
    limiter.record({ permit: first, kind: "success", latencyMs: 1, usage: USAGE });
    await clock.advance(0);
    expect(order).toEqual(["retry"]);
  });

  it("validates its options, naming the option", () => {
    expect(() => new AdaptiveLimiter({ decrease: 1.5 })).toThrow(/adaptive\.decrease/);
    expect(() => new AdaptiveLimiter({ limits: { tpm: -1 } })).toThrow(/tpm must be/);
  });
});
