import { describe, expect, it } from "vitest";
import { OutputLengthLearner } from "./output-length-learner.js";

describe("OutputLengthLearner", () => {
  it("asks for a guess until it has seen enough replies (cold start), doubling it at each cut-off", () => {
    const learner = new OutputLengthLearner({ minimumSamples: 5 });
    expect(learner.suggest("lane", 4096)).toBe(1024);
    expect(learner.suggest("lane", 500)).toBe(500);
    learner.cutOff("lane", 1024);
    expect(learner.suggest("lane", 4096)).toBe(2048);
    // A cut-off at a smaller limit than the guess says nothing new.
    learner.cutOff("lane", 500);
    expect(learner.suggest("lane", 4096)).toBe(2048);
    for (let i = 0; i < 4; i++) learner.record("lane", 100);
    expect(learner.suggest("lane", 4096)).toBe(2048);
    learner.record("lane", 100);
    expect(learner.suggest("lane", 4096)).toBe(105);
    expect(new OutputLengthLearner({ initialMaxTokens: 256 }).suggest("lane", 4096)).toBe(256);
  });

  it("learns a high quantile of recent lengths times a margin, never above the full limit", () => {
    const learner = new OutputLengthLearner({ quantile: 0.9, margin: 1.5, minimumSamples: 10 });
    for (let length = 1; length <= 100; length++) learner.record("lane", length * 10);
    // The 90th percentile of 10..1000 is 900; × 1.5 = 1350.
    expect(learner.suggest("lane", 4096)).toBe(1350);
    expect(learner.suggest("lane", 1000)).toBe(1000);
  });

  it("keeps lanes apart", () => {
    const learner = new OutputLengthLearner({ minimumSamples: 3 });
    for (let i = 0; i < 3; i++) learner.record("short", 40);
    expect(learner.suggest("short", 4096)).toBe(42);
    expect(learner.suggest("long", 4096)).toBe(1024);
    expect(learner.samples("short")).toBe(3);
  });

  it("forgets old replies, so the limit follows a change in lengths", () => {
    const learner = new OutputLengthLearner({ window: 16, minimumSamples: 8, quantile: 1 });
    for (let i = 0; i < 16; i++) learner.record("lane", 800);
    expect(learner.suggest("lane", 4096)).toBe(840);
    for (let i = 0; i < 16; i++) learner.record("lane", 80);
    expect(learner.suggest("lane", 4096)).toBe(84);
  });

  it("a longer reply (from a re-run at the full limit) raises the limit at once", () => {
    const learner = new OutputLengthLearner({ minimumSamples: 4, quantile: 1 });
    for (let i = 0; i < 20; i++) learner.record("lane", 100);
    expect(learner.suggest("lane", 4096)).toBe(105);
    learner.record("lane", 1000);
    expect(learner.suggest("lane", 4096)).toBe(1050);
  });

  it("never asks for fewer tokens than its floor", () => {
    const learner = new OutputLengthLearner({ minimumSamples: 1, floor: 32 });
    learner.record("lane", 1);
    expect(learner.suggest("lane", 4096)).toBe(32);
  });

  it("validates its options, naming the option", () => {
    expect(() => new OutputLengthLearner({ quantile: 0.1 })).toThrow(/outputLength\.quantile/);
    expect(() => new OutputLengthLearner({ margin: 0.5 })).toThrow(/outputLength\.margin/);
    expect(() => new OutputLengthLearner({ window: 16, minimumSamples: 17 })).toThrow(
      /outputLength\.minimumSamples/,
    );
  });
});
