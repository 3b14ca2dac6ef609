import { describe, expect, it } from "vitest";
import { RetryBudget } from "./retry-budget.js";

describe("RetryBudget", () => {
  it("drains as retries spend it, then fails fast without taking anything", () => {
    const budget = new RetryBudget({ capacity: 50, retryCost: 5 });
    for (let i = 0; i < 10; i++) expect(budget.trySpend("transient")).toBe(true);
    expect(budget.tokens).toBe(0);
    expect(budget.trySpend("transient")).toBe(false);
    expect(budget.tokens).toBe(0);
  });

  it("charges timeouts more and throttles less than other retries", () => {
    const budget = new RetryBudget({ capacity: 100 });
    budget.trySpend("timeout");
    expect(budget.tokens).toBe(90);
    budget.trySpend("throttled");
    expect(budget.tokens).toBe(89);
    budget.trySpend("model-not-ready");
    expect(budget.tokens).toBe(84);
  });

  it("refills on success, never above capacity", () => {
    const budget = new RetryBudget({ capacity: 20, retryCost: 5, successRefill: 1 });
    budget.trySpend("transient");
    budget.trySpend("transient");
    expect(budget.tokens).toBe(10);
    for (let i = 0; i < 4; i++) budget.recordSuccess();
    expect(budget.tokens).toBe(14);
    expect(budget.trySpend("transient")).toBe(true);
    for (let i = 0; i < 100; i++) budget.recordSuccess();
    expect(budget.tokens).toBe(20);
  });

  it("a dead endpoint (every call fails) stops retrying after a bounded number of retries", () => {
    const budget = new RetryBudget();
    let retries = 0;
    while (budget.trySpend("transient")) retries++;
    expect(retries).toBe(100);
  });

  it("validates its options", () => {
    expect(() => new RetryBudget({ capacity: -1 })).toThrow(/retry\.budget\.capacity/);
    expect(() => new RetryBudget({ retryCost: Number.NaN })).toThrow(/retry\.budget\.retryCost/);
  });
});
