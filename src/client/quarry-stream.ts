import { QuarryError } from "../errors/quarry-error.js";
import type { StreamPart } from "../models/model-codec.js";
import { PartChannel } from "./part-channel.js";

/** Where a streaming call sends its parts. */
export interface StreamSink {
  /**
   * True when parts go to a reader as they arrive. Once one has gone out, a failure can no
   * longer be retried (the reader has seen a reply that will not be finished), so it surfaces.
   */
  readonly live: boolean;
  /** Parts handed to the reader so far. */
  readonly delivered: number;
  /** Hands one part to the reader (waits while the reader is behind). A no-op when not live. */
  push(part: StreamPart): Promise<void>;
  /** Aborts when the caller's signal does, or the reader stops early. */
  readonly signal: AbortSignal;
}

/**
 * A streaming reply: an async iterator of typed parts (`text-start`, `text-delta`, ...,
 * `finish`), or, with `result()`, the whole reply at once. The request starts when either is
 * first used. Read through `result()` and nothing is shown before the reply is complete, so a
 * stream cut short (no final event) or broken mid-way is retried by the scheduler; iterate, and
 * such a failure is retried only while no part has been yielded yet, and surfaces otherwise.
 */
export class QuarryStream<TResult> implements AsyncIterable<StreamPart> {
  readonly #produce: (sink: StreamSink) => Promise<TResult>;
  readonly #controller = new AbortController();
  #running: Promise<TResult> | undefined;
  #iterating = false;

  constructor(produce: (sink: StreamSink) => Promise<TResult>, signal?: AbortSignal) {
    this.#produce = produce;
    if (signal) {
      if (signal.aborted) this.#controller.abort(signal.reason);
      else
        signal.addEventListener("abort", () => this.#controller.abort(signal.reason), {
          once: true,
        });
    }
  }

  /** The whole reply: waits for the end of the stream (reading it, unless already iterating). */
  result(): Promise<TResult> {
    if (!this.#running) {
      const sink: StreamSink = {
        live: false,
        delivered: 0,
        push: async () => {},
        signal: this.#controller.signal,
      };
      this.#running = this.#produce(sink);
    }
    return this.#running;
  }

  /** Stops the request; an iterator in progress ends with the abort reason. */
  abort(reason?: unknown): void {
    this.#controller.abort(reason);
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamPart> {
    if (this.#iterating || this.#running) {
      throw new QuarryError(
        "stream.reused",
        "This stream is already being read; a stream can be iterated once (or read whole with result()).",
      );
    }
    this.#iterating = true;
    const channel = new PartChannel<StreamPart>();
    const controller = this.#controller;
    let closedByReader = false;
    const sink: StreamSink = {
      live: true,
      get delivered() {
        return channel.pushed;
      },
      push: (part) => {
        if (controller.signal.aborted) return Promise.resolve();
        return channel.push(part);
      },
      signal: controller.signal,
    };
    this.#running = this.#produce(sink);
    this.#running.then(
      () => channel.close(),
      (error: unknown) => channel.fail(error),
    );
    // The reader may stop early; the producer's rejection is then expected and not unhandled.
    this.#running.catch(() => {});
    return {
      // Once aborted, the reader gets the abort reason, not parts still queued before it.
      next: () =>
        controller.signal.aborted && !closedByReader
          ? Promise.reject(controller.signal.reason)
          : channel.next(),
      return: async () => {
        closedByReader = true;
        if (!controller.signal.aborted)
          controller.abort(new DOMException("The stream was closed by its reader.", "AbortError"));
        channel.close();
        await this.#running?.catch(() => {});
        return { value: undefined, done: true };
      },
    };
  }
}
