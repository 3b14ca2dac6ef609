import { describe, expect, it } from "vitest";
import { QuarryError } from "../errors/quarry-error.js";
import { closestName } from "./closest-name.js";
import { describeLocation, InputError, InputErrors } from "./input-error.js";

describe("InputError", () => {
  it("puts the location first and keeps its parts", () => {
    const error = new InputError("input.malformed-row", "the row has 3 fields", {
      file: "/d.csv",
      row: 2,
      line: 3,
      field: "name",
    });
    expect(error).toBeInstanceOf(QuarryError);
    expect(error.message).toBe('/d.csv row 2 (line 3), field "name": the row has 3 fields');
    expect(error).toMatchObject({
      code: "input.malformed-row",
      file: "/d.csv",
      row: 2,
      line: 3,
      field: "name",
      isRetryable: false,
    });
    expect(describeLocation({ line: 4 })).toBe("line 4");
    expect(describeLocation({ field: "model" })).toBe('field "model"');
  });

  it("gathers several problems, saying how many were left out", () => {
    const errors = [1, 2].map((row) => new InputError("input.missing-variable", "x", { row }));
    const all = new InputErrors(errors, 5);
    expect(all.code).toBe("input.missing-variable");
    expect(all.message).toBe("row 1: x\n(and 4 more problems:\n  row 2: x\n  ...)");
  });
});

describe("closestName", () => {
  it("suggests plausible misspellings only", () => {
    expect(closestName("modle", ["model", "mode", "region"])).toBe("model");
    expect(closestName("temprature", ["temperature", "topP"])).toBe("temperature");
    expect(closestName("xyz", ["model", "region"])).toBeUndefined();
    expect(closestName("a", [])).toBeUndefined();
  });
});
