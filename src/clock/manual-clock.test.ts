import { describe, expect, it } from "vitest";
import { ManualClock } from "./manual-clock.js";

describe("ManualClock", () => {
  it("fires sleeps in time order only when advanced", async () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    void clock.sleep(200).then(() => fired.push(`b@${clock.now()}`));
    void clock.sleep(100).then(() => fired.push(`a@${clock.now()}`));
    await clock.advance(50);
    expect(fired).toEqual([]);
    await clock.advance(200);
    expect(fired).toEqual(["a@100", "b@200"]);
    expect(clock.now()).toBe(250);
  });

  it("lets code woken by one timer schedule the next within the same advance", async () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(35);
    expect(ticks).toEqual([10, 20, 30]);
  });

  it("rejects an aborted sleep and forgets its timer", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
    expect(clock.pendingTimers).toBe(0);
  });

  it("runAll drains chained sleeps", async () => {
    const clock = new ManualClock();
    let done = false;
    void (async () => {
      await clock.sleep(5);
      await clock.sleep(5);
      done = true;
    })();
    await clock.runAll();
    expect(done).toBe(true);
    expect(clock.now()).toBe(10);
  });
});
