import { describe, expect, it } from "vitest";
import type { StreamPart } from "../models/model-codec.js";
import { PartChannel } from "./part-channel.js";
import { QuarryStream, type StreamSink } from "./quarry-stream.js";

const delta = (text: string): StreamPart => ({ type: "text-delta", id: "0", delta: text });

describe("PartChannel", () => {
  it("delivers in order, then done, and holds the producer at the high-water mark", async () => {
    const channel = new PartChannel<number>(2);
    const pushed: number[] = [];
    const producer = (async () => {
      for (const value of [1, 2, 3, 4]) {
        await channel.push(value);
        pushed.push(value);
      }
      channel.close();
    })();
    await Promise.resolve();
    await Promise.resolve();
    // The second push fills the queue to the mark, so the producer waits there.
    expect(pushed).toEqual([1]);
    const read: number[] = [];
    for (;;) {
      const next = await channel.next();
      if (next.done) break;
      read.push(next.value);
    }
    await producer;
    expect(read).toEqual([1, 2, 3, 4]);
    expect(channel.pushed).toBe(4);
  });

  it("surfaces a failure after the parts queued before it", async () => {
    const channel = new PartChannel<string>();
    await channel.push("a");
    channel.fail(new Error("cut"));
    expect(await channel.next()).toEqual({ value: "a", done: false });
    await expect(channel.next()).rejects.toThrow("cut");
  });
});

describe("QuarryStream", () => {
  it("iterates parts live and then resolves result() with the producer's value", async () => {
    const sinks: StreamSink[] = [];
    const stream = new QuarryStream(async (sink) => {
      sinks.push(sink);
      await sink.push(delta("a"));
      await sink.push(delta("b"));
      return "done";
    });
    const parts: StreamPart[] = [];
    for await (const part of stream) parts.push(part);
    expect(parts).toEqual([delta("a"), delta("b")]);
    expect(sinks[0]!.live).toBe(true);
    expect(sinks[0]!.delivered).toBe(2);
    await expect(stream.result()).resolves.toBe("done");
  });

  it("result() alone reads without a live reader, so nothing counts as shown", async () => {
    const stream = new QuarryStream(async (sink) => {
      await sink.push(delta("hidden"));
      return { live: sink.live, delivered: sink.delivered };
    });
    await expect(stream.result()).resolves.toEqual({ live: false, delivered: 0 });
  });

  it("aborts the producer when the reader breaks off", async () => {
    let aborted = false;
    const stream = new QuarryStream(async (sink) => {
      sink.signal.addEventListener("abort", () => {
        aborted = true;
      });
      for (let i = 0; i < 100; i++) await sink.push(delta(String(i)));
      return "unreachable";
    });
    for await (const part of stream) {
      expect(part).toEqual(delta("0"));
      break;
    }
    expect(aborted).toBe(true);
  });

  it("aborts with the caller's signal and refuses a second reader", async () => {
    const controller = new AbortController();
    const stream = new QuarryStream(
      (sink) =>
        new Promise<string>((_resolve, reject) => {
          sink.signal.addEventListener("abort", () => reject(sink.signal.reason));
        }),
      controller.signal,
    );
    const iterator = stream[Symbol.asyncIterator]();
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/already being read/);
    const next = iterator.next();
    controller.abort(new Error("stop now"));
    await expect(next).rejects.toThrow("stop now");
  });
});
