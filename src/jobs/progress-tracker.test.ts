import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { startProgressDisplay } from "./progress-display.js";
import { formatProgressLine, formatSeconds, ProgressTracker } from "./progress-tracker.js";

describe("ProgressTracker", () => {
  it("derives rates over the recent window and an ETA from them", async () => {
    const clock = new ManualClock();
    const tracker = new ProgressTracker(clock);
    tracker.total = 1000;
    tracker.snapshot();
    for (let second = 0; second < 5; second++) {
      await clock.advance(1000);
      tracker.completed += 20;
      tracker.requests += 25;
      tracker.inputTokens += 2000;
      tracker.outputTokens += 500;
      tracker.snapshot();
    }
    const snapshot = tracker.snapshot();
    expect(snapshot.recordsPerSecond).toBeCloseTo(20);
    expect(snapshot.requestsPerSecond).toBeCloseTo(25);
    expect(snapshot.tokensPerSecond).toBeCloseTo(2500);
    expect(snapshot.etaMs).toBeCloseTo((900 / 20) * 1000);
  });

  it("forgets samples older than the window, so the rate follows the current pace", async () => {
    const clock = new ManualClock();
    const tracker = new ProgressTracker(clock);
    tracker.total = 10_000;
    for (let second = 0; second < 30; second++) {
      await clock.advance(1000);
      tracker.completed += second < 15 ? 100 : 10;
      tracker.snapshot();
    }
    expect(tracker.snapshot().recordsPerSecond).toBeCloseTo(10);
  });

  it("has no ETA before anything finished, and counts resumed records as done", () => {
    const tracker = new ProgressTracker(new ManualClock());
    tracker.total = 50;
    tracker.resumed = 20;
    const snapshot = tracker.snapshot();
    expect(snapshot.etaMs).toBeUndefined();
    expect(formatProgressLine(snapshot)).toContain("20/50 (40.0%)");
  });
});

describe("formatSeconds", () => {
  it("reads naturally at every scale", () => {
    expect(formatSeconds(42_000)).toBe("42s");
    expect(formatSeconds(185_000)).toBe("3m05s");
    expect(formatSeconds(3_720_000)).toBe("1h02m");
  });
});

describe("startProgressDisplay", () => {
  it("prints a plain final line when the output is not a terminal", () => {
    const stream = new PassThrough();
    let written = "";
    stream.on("data", (chunk) => {
      written += String(chunk);
    });
    const tracker = new ProgressTracker(new ManualClock());
    tracker.total = 3;
    tracker.completed = 2;
    tracker.failed = 1;
    tracker.throttles = 4;
    startProgressDisplay(tracker, { stream }).stop();
    expect(written).toMatch(/^3\/3 \(100\.0%\) done=2 failed=1 .*throttles=4/);
  });

  it("prints nothing in quiet mode", () => {
    const stream = new PassThrough();
    let written = "";
    stream.on("data", (chunk) => {
      written += String(chunk);
    });
    startProgressDisplay(new ProgressTracker(new ManualClock()), { stream, mode: "none" }).stop();
    expect(written).toBe("");
  });
});
