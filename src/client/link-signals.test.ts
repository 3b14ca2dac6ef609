import { describe, expect, it, vi } from "vitest";
import { linkSignals } from "./link-signals.js";

describe("linkSignals", () => {
  it("aborts with the first source's reason", () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, b.signal);
    b.abort(new Error("b stopped"));
    expect(linked.signal?.aborted).toBe(true);
    expect(linked.signal?.reason).toEqual(new Error("b stopped"));
  });

  it("passes a single signal through and nothing through for none", () => {
    const a = new AbortController();
    expect(linkSignals(a.signal, undefined).signal).toBe(a.signal);
    expect(linkSignals(undefined).signal).toBeUndefined();
  });

  it("is aborted at once when a source already is", () => {
    const a = new AbortController();
    a.abort("early");
    expect(linkSignals(a.signal, new AbortController().signal).signal?.reason).toBe("early");
  });

  it("lets go of long-lived sources when disposed, so they do not keep every call alive", () => {
    const runWide = new AbortController();
    const client = new AbortController();
    const added = vi.spyOn(runWide.signal, "addEventListener");
    const removed = vi.spyOn(runWide.signal, "removeEventListener");
    for (let i = 0; i < 1000; i++) linkSignals(runWide.signal, client.signal).dispose();
    expect(added).toHaveBeenCalledTimes(1000);
    expect(removed).toHaveBeenCalledTimes(1000);
    // A disposed link no longer follows its sources.
    const linked = linkSignals(runWide.signal, client.signal);
    linked.dispose();
    runWide.abort();
    expect(linked.signal?.aborted).toBe(false);
  });
});
