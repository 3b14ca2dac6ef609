import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { classifyError } from "../errors/classify-error.js";
import { TargetHealth } from "./target-health.js";

/** The kind an SDK exception of this name is classified as. */
function serverError(name = "InternalServerException", status = 500) {
  const error = new Error("boom") as Error & { $metadata: { httpStatusCode: number } };
  error.name = name;
  error.$metadata = { httpStatusCode: status };
  return classifyError(error).kind;
}

const LANES = ["us-east-1|m|on-demand", "us-west-2|m|on-demand"] as const;
const [EAST, WEST] = LANES;

describe("TargetHealth", () => {
  it("takes a lane out after three server faults in a row, and one success brings it back", async () => {
    const clock = new ManualClock();
    const health = new TargetHealth(clock);
    health.failed(EAST, serverError());
    health.failed(EAST, serverError());
    health.succeeded(EAST);
    health.failed(EAST, serverError());
    health.failed(EAST, serverError());
    expect(health.available(LANES)).toBe(LANES);
    health.failed(EAST, serverError("ServiceUnavailableException", 503));
    expect(health.available(LANES)).toEqual([WEST]);
    expect(health.isDown(EAST)).toBe(true);

    await clock.advance(5_000);
    expect(health.available(LANES)).toEqual(LANES);
    health.succeeded(EAST);
    // Restored for good: it takes three failures again.
    health.failed(EAST, serverError());
    health.failed(EAST, serverError());
    expect(health.isDown(EAST)).toBe(false);
  });

  it("gives a lane back from a time out one probe call, and no other until it answers", async () => {
    const clock = new ManualClock();
    const health = new TargetHealth(clock);
    for (let i = 0; i < 3; i++) health.failed(EAST, serverError());
    await clock.advance(5_000);
    expect(health.available(LANES)).toEqual(LANES);
    // Healthy lanes are not affected by being picked.
    health.picked(WEST);
    expect(health.available(LANES)).toEqual(LANES);
    health.picked(EAST);
    expect(health.available(LANES)).toEqual([WEST]);
    // The probe answers: a success brings the lane back for every call.
    health.succeeded(EAST);
    expect(health.available(LANES)).toEqual(LANES);
    // A probe that fails takes it out again, for twice as long.
    for (let i = 0; i < 3; i++) health.failed(EAST, serverError());
    await clock.advance(5_000);
    health.picked(EAST);
    health.failed(EAST, serverError());
    await clock.advance(9_999);
    expect(health.available(LANES)).toEqual([WEST]);
    await clock.advance(1);
    expect(health.available(LANES)).toEqual(LANES);
    // A probe that never answers (its call went elsewhere) holds the lane for one time out only.
    health.picked(EAST);
    await clock.advance(10_000);
    expect(health.available(LANES)).toEqual(LANES);
  });

  it("doubles the time out when a lane fails straight after its return, up to a minute", async () => {
    const clock = new ManualClock();
    const health = new TargetHealth(clock);
    for (let i = 0; i < 3; i++) health.failed(EAST, serverError());
    const timeouts: number[] = [];
    for (let round = 0; round < 6; round++) {
      const from = clock.now();
      while (health.isDown(EAST)) await clock.advance(1_000);
      timeouts.push(clock.now() - from);
      health.failed(EAST, serverError());
    }
    expect(timeouts).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
  });

  it("ignores throttles and the caller's own mistakes, and never leaves a call without a lane", () => {
    const clock = new ManualClock();
    const health = new TargetHealth(clock);
    for (let i = 0; i < 5; i++) {
      health.failed(EAST, serverError("ThrottlingException", 429));
      health.failed(EAST, serverError("ValidationException", 400));
    }
    expect(health.isDown(EAST)).toBe(false);
    for (const lane of LANES) for (let i = 0; i < 3; i++) health.failed(lane, serverError());
    expect(health.available(LANES)).toBe(LANES);
  });
});
