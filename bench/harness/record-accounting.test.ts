import { describe, expect, it } from "vitest";
import { accountRecords } from "./record-accounting.js";

const ids = ["a", "b", "c", "d"];

describe("record accounting", () => {
  it("counts each input id once, ok or failed", () => {
    const account = accountRecords(
      ids,
      [
        { id: "a", ok: true, inputTokens: 10, outputTokens: 20 },
        { id: "b", ok: false, error: "ThrottlingException" },
        { id: "c", ok: true, inputTokens: 10, outputTokens: 30 },
        { id: "d", ok: false, error: "ThrottlingException" },
      ],
      false,
    );
    expect(account).toMatchObject({
      ok: 2,
      failed: 2,
      lost: 0,
      unfinished: 0,
      duplicated: 0,
      unknown: 0,
    });
    expect(account.okResults.map((result) => result.id)).toEqual(["a", "c"]);
    expect(account.failureReasons).toEqual([{ reason: "ThrottlingException", count: 2 }]);
  });

  it("calls an id with no result lost in a finished run, unfinished in one cut at its deadline", () => {
    const results = [{ id: "a", ok: true }];
    expect(accountRecords(ids, results, false)).toMatchObject({ ok: 1, lost: 3, unfinished: 0 });
    expect(accountRecords(ids, results, true)).toMatchObject({ ok: 1, lost: 0, unfinished: 3 });
  });

  it("counts an id with several results as duplicated once, and ok if any result was", () => {
    const account = accountRecords(
      ids,
      [
        { id: "a", ok: true, outputTokens: 1 },
        { id: "a", ok: true, outputTokens: 2 },
        { id: "b", ok: false, error: "x" },
        { id: "b", ok: true, outputTokens: 3 },
        { id: "c", ok: true },
        { id: "d", ok: true },
      ],
      false,
    );
    expect(account).toMatchObject({ ok: 4, failed: 0, duplicated: 2, lost: 0 });
    expect(account.okResults.find((result) => result.id === "a")?.outputTokens).toBe(1);
  });

  it("reports results for ids that were never input", () => {
    const account = accountRecords(ids, [{ id: "zz", ok: true }], false);
    expect(account).toMatchObject({ unknown: 1, ok: 0, lost: 4 });
  });
});
