import { setMaxListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { AdaptiveLimiter } from "./adaptive-limiter.js";
import type { Permit } from "./rate-limiter.js";
import { TokenBucket } from "./token-bucket.js";

const COST = { inputTokens: 500, maxTokens: 500, outputBurndown: 1 }; // reserves 1,000
const USAGE = { inputTokens: 500, outputTokens: 100 }; // charges 600

/** Acquires a permit, advancing the manual clock in 100 ms steps until it is granted. */
/** The service refused the call granted as `permit` (a token throttle). */
function throttled(limiter: AdaptiveLimiter, permit: Permit): void {
  limiter.record({ permit, kind: "throttled", name: "ThrottlingException" });
}

async function grantSoon(limiter: AdaptiveLimiter, clock: ManualClock): Promise<Permit> {
  let permit: Permit | undefined;
  void limiter.acquire(COST).then((granted) => {
    permit = granted;
  });
  await clock.advance(0);
  while (!permit) await clock.advance(100);
  return permit;
}

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
  // Every worker waits on this one signal (the scheduler gives each call a signal of its own).
  setMaxListeners(workers + 1, controller.signal);
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
        throttled(limiter, permit);
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
  it("starts cautiously: one call at once, a pace of a few reservations a minute, many calls allowed in flight", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const granted: Permit[] = [];
    grantedCount(
      Array.from({ length: 20 }, () => limiter.acquire(COST)),
      granted,
    );
    await clock.advance(0);
    // One call finds out whether the service's bucket is empty (another job ran before) at
    // the cost of one refusal, not a burst of them.
    expect(granted).toHaveLength(1);
    const snapshot = limiter.snapshot();
    expect(snapshot.concurrency).toBe(64);
    expect(snapshot.tokensPerMinute).toBe(8_000);
    expect(snapshot.phase).toBe("ramp");
    expect(snapshot.waiting).toBe(19);
    // The rest follow as the pace, growing ×4 every second while they wait, refills the shadow:
    // 8,000/min × (4^2.8 − 1) / ln 4 over 2.8 seconds ≈ 4,570 tokens, four more calls.
    for (let step = 0; step < 28; step++) await clock.advance(100);
    expect(granted).toHaveLength(5);
  });

  it("ramps the token pace exponentially in time while calls wait on it, and only then", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    grantedCount(
      Array.from({ length: 40 }, () => limiter.acquire(COST)),
      [],
    );
    await clock.advance(0);
    for (let step = 0; step < 30; step++) await clock.advance(100);
    // Three seconds held back: about 4³ times the first estimate.
    expect(limiter.snapshot().tokensPerMinute).toBeGreaterThan(8_000 * 56);
    expect(limiter.snapshot().tokensPerMinute).toBeLessThan(8_000 * 72);
    // An idle lane does not grow.
    const idle = new AdaptiveLimiter({ clock });
    await idle.acquire(COST);
    await clock.advance(10_000);
    expect(idle.snapshot().tokensPerMinute).toBe(8_000);
  });

  it("settles just under a token quota it was not told, from a full bucket, with few throttles", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    // 60,000 tokens a minute at 600 tokens a call: at most 100 calls a minute.
    const { perMinute, throttles } = await drive(limiter, clock, () => 60_000, 12);
    const steady = perMinute.slice(2, 12);
    const average = steady.reduce((sum, count) => sum + count, 0) / steady.length;
    expect(average).toBeGreaterThan(95);
    expect(average).toBeLessThanOrEqual(101);
    const total = perMinute.reduce((sum, count) => sum + count, 0);
    expect(throttles / total).toBeLessThan(0.03);
    const snapshot = limiter.snapshot();
    expect(snapshot.measuredTokensPerMinute).toBeGreaterThan(57_000);
    expect(snapshot.measuredTokensPerMinute).toBeLessThan(63_000);
    expect(snapshot.phase).toBe("paced");
  });

  it("a throttle after a window wide enough measures the limit between the two sync points", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const throttle = (permit: Permit) => throttled(limiter, permit);
    // The first refusal is only a sync point: the limit is at least what went through.
    throttle(await grantSoon(limiter, clock));
    const anchoredAt = clock.now();
    expect(limiter.snapshot().phase).toBe("search");
    // Then 10 calls go through, each charged 600 (1,000 reserved, 400 refunded), and the next
    // one is refused: the bucket refilled 6,000 tokens between the two refusals.
    for (let call = 0; call < 10; call++) {
      const permit = await grantSoon(limiter, clock);
      limiter.record({ permit, kind: "success", latencyMs: 1, usage: USAGE });
    }
    throttle(await grantSoon(limiter, clock));
    const expected = 6_000 / ((clock.now() - anchoredAt) / 60_000);
    const snapshot = limiter.snapshot();
    expect(snapshot.phase).toBe("paced");
    expect(snapshot.measuredTokensPerMinute).toBeCloseTo(expected, 6);
    expect(snapshot.tokensPerMinute).toBeCloseTo(expected * 0.98, 6);
    // The shadow is empty: the next call waits for it to refill.
    expect(limiter.expectedDelay(COST)).toBeGreaterThan(0);
  });

  it("during the search, a refusal too soon to measure bounds the limit from both sides", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const throttle = (permit: Permit) => throttled(limiter, permit);
    throttle(await grantSoon(limiter, clock));
    const anchoredAt = clock.now();
    const lower = limiter.snapshot().tokensPerMinute!;
    // One call goes through (charged 600), the next is refused: a window of less than three
    // reservations. The bucket refilled 600 tokens, give or take the 1,000 a refused call would
    // have taken at either end: at most (600 + 1,000) per elapsed time.
    const permit = await grantSoon(limiter, clock);
    limiter.record({ permit, kind: "success", latencyMs: 1, usage: USAGE });
    throttle(await grantSoon(limiter, clock));
    const upper = 1_600 / ((clock.now() - anchoredAt) / 60_000);
    expect(limiter.snapshot().phase).toBe("search");
    // The pace falls back to what is proven (the start's lower bound here)...
    expect(limiter.snapshot().tokensPerMinute).toBeCloseTo(lower, 6);
    // ...and however long calls wait, it grows no higher than the upper bound.
    const waiting = Array.from({ length: 50 }, () => limiter.acquire(COST));
    const granted: Permit[] = [];
    grantedCount(waiting, granted);
    for (let step = 0; step < 300; step++) await clock.advance(100);
    expect(granted.length).toBeGreaterThan(0);
    expect(limiter.snapshot().tokensPerMinute).toBeGreaterThan(lower);
    expect(limiter.snapshot().tokensPerMinute).toBeLessThanOrEqual(upper * (1 + 1e-9));
  });

  it("a refusal of a call granted before the last adjustment adjusts nothing", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    const throttle = (permit: Permit) => throttled(limiter, permit);
    throttle(await grantSoon(limiter, clock));
    const early = await grantSoon(limiter, clock);
    for (let call = 0; call < 10; call++) {
      const permit = await grantSoon(limiter, clock);
      limiter.record({ permit, kind: "success", latencyMs: 1, usage: USAGE });
    }
    throttle(await grantSoon(limiter, clock));
    expect(limiter.snapshot().phase).toBe("paced");
    const paced = limiter.snapshot().tokensPerMinute;
    // Refused for the same empty bucket the last refusal already answered.
    throttle(early);
    expect(limiter.snapshot().tokensPerMinute).toBe(paced);
    expect(limiter.snapshot().throttles).toBe(3);
  });

  it("learns a request limit from refusals that say 'Too many requests', and only from those", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock });
    limiter.record({
      permit: await grantSoon(limiter, clock),
      kind: "throttled",
      name: "ThrottlingException",
      message: "Too many tokens, please wait before trying again.",
    });
    expect(limiter.snapshot().requestsPerMinute).toBeUndefined();
    limiter.record({
      permit: await grantSoon(limiter, clock),
      kind: "throttled",
      name: "ThrottlingException",
      message: "Too many requests, please wait before trying again.",
    });
    expect(limiter.snapshot().requestsPerMinute).toBeGreaterThan(0);
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
    // At most the rate plus what the provider's bucket held when the window began (a minute's
    // worth, 50 calls, spread over these 8 minutes): the probes spend that surplus.
    expect(average(12, 20)).toBeLessThanOrEqual(50 + 50 / 8);
    expect(perMinute[10]).toBeGreaterThan(0); // the minute of the drop itself
    expect(average(23, 30)).toBeGreaterThan(88); // 100 allowed again
    const total = perMinute.reduce((sum, count) => sum + count, 0);
    // Each drop costs a burst of refusals before a window measures the new limit.
    expect(throttles / total).toBeLessThan(0.04);
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

  it("ModelNotReady is not a quota signal: the pace stays", async () => {
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
    expect(limiter.snapshot().tokensPerMinute).toBe(before);
    expect(limiter.snapshot().throttles).toBe(0);
  });

  it("503 'Too many connections' shrinks concurrency", async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveLimiter({ clock, limits: { tpm: 1e9 } });
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
    const limiter = new AdaptiveLimiter({ clock, limits: { concurrency: 1, tpm: 1e9 } });
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
    const limiter = new AdaptiveLimiter({ clock, limits: { concurrency: 1, tpm: 1e9 } });
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
