import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
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

  it("gives a single source a signal of the call's own, and nothing for none", () => {
    const a = new AbortController();
    const linked = linkSignals(a.signal, undefined);
    expect(linked.signal).not.toBe(a.signal);
    a.abort("stop");
    expect(linked.signal?.reason).toBe("stop");
    expect(linkSignals(undefined).signal).toBeUndefined();
  });

  it("is aborted at once when a source already is", () => {
    const a = new AbortController();
    a.abort("early");
    expect(linkSignals(a.signal, new AbortController().signal).signal?.reason).toBe("early");
  });

  it("adds one listener to a shared source however many calls hang off it, and lets go of each", () => {
    const runWide = new AbortController();
    const client = new AbortController();
    const inFlight = Array.from({ length: 100 }, () => linkSignals(runWide.signal, client.signal));
    // Node warns past ten listeners; a call in flight each would be a hundred.
    expect(getEventListeners(runWide.signal, "abort")).toHaveLength(1);
    expect(getEventListeners(client.signal, "abort")).toHaveLength(1);
    for (const linked of inFlight.slice(0, 99)) linked.dispose();
    for (let i = 0; i < 1000; i++) linkSignals(runWide.signal, client.signal).dispose();
    expect(getEventListeners(runWide.signal, "abort")).toHaveLength(1);
    // A disposed link no longer follows its sources; one still in flight does.
    runWide.abort(new Error("run stopped"));
    expect(inFlight[0]!.signal?.aborted).toBe(false);
    expect(inFlight[99]!.signal?.reason).toEqual(new Error("run stopped"));
  });

  it("links calls made after a source's listener has fired to its aborted state", () => {
    const runWide = new AbortController();
    linkSignals(runWide.signal).dispose();
    runWide.abort("gone");
    expect(linkSignals(runWide.signal).signal?.reason).toBe("gone");
  });
});
