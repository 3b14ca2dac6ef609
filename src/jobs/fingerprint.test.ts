import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  describeFingerprintChanges,
  jobFingerprint,
  rowHash,
} from "./fingerprint.js";

const base = {
  model: "m1",
  api: "converse",
  template: "Hi {name}",
  options: { maxTokens: 100, temperature: 0 },
};

describe("jobFingerprint", () => {
  it("is equal for equal jobs, whatever the key order", () => {
    const a = jobFingerprint({ ...base, schema: { type: "object", required: ["a"] } });
    const b = jobFingerprint({
      ...base,
      options: { temperature: 0, maxTokens: 100, topP: undefined },
      schema: { required: ["a"], type: "object" },
    });
    expect(a).toEqual(b);
    expect(describeFingerprintChanges(a, b)).toEqual([]);
  });

  it("names each change", () => {
    const before = jobFingerprint({ ...base, system: "Be brief." });
    const after = jobFingerprint({
      ...base,
      api: "invoke",
      template: "Hello {name}",
      options: { maxTokens: 100, topK: 5 },
    });
    expect(describeFingerprintChanges(before, after)).toEqual([
      'the API changed from "converse" to "invoke"',
      "the prompt template changed",
      "the system prompt was removed",
      "temperature changed from 0 to (not set)",
      "topK changed from (not set) to 5",
    ]);
  });
});

describe("rowHash", () => {
  it("depends on the id and the values, not on key order", () => {
    expect(rowHash("1", { a: 1, b: "x" })).toBe(rowHash("1", { b: "x", a: 1 }));
    expect(rowHash("1", { a: 1 })).not.toBe(rowHash("2", { a: 1 }));
    expect(rowHash("1", { a: 1 })).not.toBe(rowHash("1", { a: "1" }));
    expect(rowHash("1", { a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every level and drops undefined members", () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: undefined, e: null })).toBe(
      '{"b":[{"c":2,"d":1}],"e":null}',
    );
  });
});
