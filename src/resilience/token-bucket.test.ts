import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { chargedTokens, reservedTokens, TokenBucket } from "./token-bucket.js";

describe("reservation arithmetic", () => {
  it("reserves input + maxTokens × burndown and charges input + output × burndown", () => {
    const demand = { inputTokens: 500, maxTokens: 4096, outputBurndown: 5 };
    expect(reservedTokens(demand)).toBe(500 + 4096 * 5);
    expect(chargedTokens({ inputTokens: 500, outputTokens: 300 }, 5)).toBe(2000);
  });
});

describe("TokenBucket", () => {
  it("reserves a call's tokens and refunds the unused part from actual usage", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 100_000, clock });
    const demand = { inputTokens: 500, maxTokens: 4096, outputBurndown: 5 };
    const reserved = reservedTokens(demand);
    expect(bucket.tryTake(reserved)).toBe(true);
    expect(bucket.level).toBe(100_000 - reserved);
    bucket.refund(reserved - chargedTokens({ inputTokens: 500, outputTokens: 300 }, 5));
    expect(bucket.level).toBe(98_000);
  });

  it("refills at capacity per minute and never above capacity", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 600, clock, initialLevel: 0 });
    await clock.advance(30_000);
    expect(bucket.level).toBeCloseTo(300, 6);
    await clock.advance(120_000);
    expect(bucket.level).toBe(600);
    bucket.refund(1_000);
    expect(bucket.level).toBe(600);
  });

  it("says how long until an amount fits, and never for more than it can hold", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 60, clock, initialLevel: 0 });
    expect(bucket.delayFor(0)).toBe(0);
    expect(bucket.delayFor(10)).toBeCloseTo(10_000, 6);
    expect(bucket.delayFor(61)).toBe(Number.POSITIVE_INFINITY);
  });

  it("acquire waits on the clock until the cost fits, first come first served", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 60, clock, initialLevel: 0 });
    const order: string[] = [];
    void bucket.acquire(10).then(() => order.push(`a@${clock.now()}`));
    void bucket.acquire(5).then(() => order.push(`b@${clock.now()}`));
    await clock.advance(9_000);
    expect(order).toEqual([]);
    await clock.advance(7_000);
    expect(order).toEqual(["a@10000", "b@15000"]);
    expect(bucket.waiting).toBe(0);
  });

  it("a refund wakes waiters at once", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 1_000, clock });
    expect(bucket.tryTake(1_000)).toBe(true);
    let done = false;
    void bucket.acquire(400).then(() => {
      done = true;
    });
    await clock.advance(1);
    expect(done).toBe(false);
    bucket.refund(500);
    await clock.advance(0);
    expect(done).toBe(true);
  });

  it("an aborted acquire rejects promptly and lets the next waiter through", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 60, clock, initialLevel: 0 });
    const controller = new AbortController();
    const first = bucket.acquire(50, controller.signal);
    let second = false;
    void bucket.acquire(5).then(() => {
      second = true;
    });
    controller.abort(new Error("stop"));
    await expect(first).rejects.toThrow("stop");
    await clock.advance(5_000);
    expect(second).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it("refuses a cost that can never fit", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 100, clock });
    await expect(bucket.acquire(101)).rejects.toThrow(/can never fit/);
  });

  it("resize keeps what is in use; retune keeps the level", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 1_000, clock });
    bucket.take(600);
    bucket.resize(500);
    expect(bucket.level).toBe(-100);
    bucket.resize(2_000);
    expect(bucket.level).toBe(1_400);
    bucket.retune(3_000);
    expect(bucket.level).toBe(1_400);
    bucket.retune(1_000);
    expect(bucket.level).toBe(1_000);
    bucket.lowerTo(0);
    expect(bucket.level).toBe(0);
  });

  it("validates its options", () => {
    const clock = new ManualClock();
    expect(() => new TokenBucket({ capacity: 0, clock })).toThrow(/capacity must be/);
  });
});
