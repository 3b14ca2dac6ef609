import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { RetryError } from "../errors/retry-error.js";
import { StreamTruncatedError } from "../errors/stream-truncated-error.js";
import { type ScheduledCall, Scheduler, type SchedulerOptions } from "./scheduler.js";
import type { RetryingEvent, SchedulerEvents } from "./scheduler-events.js";

interface Reply {
  readonly text: string;
  readonly outputTokens: number;
  readonly cut?: boolean;
}

function sdkError(name: string, status: number, message = `${name} happened`): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

function call(
  attempt: ScheduledCall<Reply>["attempt"],
  extra: Partial<ScheduledCall<Reply>> = {},
): ScheduledCall<Reply> {
  return {
    lane: "claude@us-east-1",
    inputTokens: 100,
    maxTokens: 200,
    recordId: "row-1",
    attempt,
    usage: (reply) => ({ inputTokens: 100, outputTokens: reply.outputTokens }),
    stoppedAtMaxTokens: (reply) => reply.cut === true,
    ...extra,
  };
}

/** Fails with the given errors in turn, then succeeds. */
function failing(...errors: unknown[]): ScheduledCall<Reply>["attempt"] {
  let index = 0;
  return async () => {
    const error = errors[index++];
    if (error !== undefined) throw error;
    return { text: "ok", outputTokens: 50 };
  };
}

function recordEvents(scheduler: Scheduler) {
  const events: { [E in keyof SchedulerEvents]: SchedulerEvents[E][] } = {
    sent: [],
    completed: [],
    failed: [],
    retrying: [],
    throttled: [],
    idle: [],
  };
  for (const name of Object.keys(events) as (keyof SchedulerEvents)[])
    scheduler.on(name, ((event: unknown) => {
      (events[name] as unknown[]).push(event);
    }) as never);
  return events;
}

async function settle<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let done = false;
  const watched = promise.finally(() => {
    done = true;
  });
  watched.catch(() => {});
  while (!done) {
    const next = clock.nextDueAt;
    await clock.advance(next === undefined ? 0 : next - clock.now());
  }
  return watched;
}

function scheduler(clock: ManualClock, options: SchedulerOptions = {}): Scheduler {
  return new Scheduler({ clock, random: () => 0.5, ...options });
}

/** A `maxTokens: "auto"` call whose reply is `length` tokens, noting the limit each attempt asked for. */
function autoCall(asked: number[], length: number, extra: { outputBurndown?: number } = {}) {
  return call(
    async (context) => {
      asked.push(context.maxTokens);
      const outputTokens = Math.min(length, context.maxTokens);
      return { text: `${outputTokens}`, outputTokens, cut: outputTokens < length };
    },
    { maxTokens: "auto", fullMaxTokens: 4096, lengthKey: "template-1", ...extra },
  );
}

describe("Scheduler", () => {
  it("sends a call once, refunds from its usage, and reports sent, completed and idle", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const events = recordEvents(runner);
    const contexts: unknown[] = [];
    const reply = await settle(
      clock,
      runner.run(
        call(async (context) => {
          contexts.push(context);
          return { text: "hello", outputTokens: 50 };
        }),
      ),
    );
    expect(reply.text).toBe("hello");
    expect(contexts).toEqual([
      expect.objectContaining({ attempt: 1, lane: "claude@us-east-1", maxTokens: 200 }),
    ]);
    expect(events.sent).toEqual([
      expect.objectContaining({
        lane: "claude@us-east-1",
        recordId: "row-1",
        attempt: 1,
        reservedTokens: 300,
      }),
    ]);
    expect(events.completed).toEqual([
      expect.objectContaining({
        recordId: "row-1",
        attempt: 1,
        inputTokens: 100,
        outputTokens: 50,
      }),
    ]);
    expect(events.idle).toHaveLength(1);
    const stats = runner.stats();
    expect(stats).toMatchObject({
      calls: 1,
      sent: 1,
      completed: 1,
      failed: 0,
      retries: 0,
      inFlight: 0,
      waiting: 0,
    });
    expect(stats.lanes[0]).toMatchObject({ lane: "claude@us-east-1", inFlight: 0 });
  });

  it("retries throttles, server faults, resets and truncated streams, by type", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const events = recordEvents(runner);
    const attempts: number[] = [];
    const errors = failing(
      sdkError("ThrottlingException", 429, "Too many tokens, please wait before trying again."),
      sdkError("InternalServerException", 500),
      new StreamTruncatedError({ lastEvent: "content_block_delta" }),
      Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      sdkError("ServiceUnavailableException", 503),
      sdkError("ModelStreamErrorException", 424),
    );
    const reply = await settle(
      clock,
      runner.run(
        call((context) => {
          attempts.push(context.attempt);
          return errors(context);
        }),
      ),
    );
    expect(reply.text).toBe("ok");
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.retrying.map((event) => `${event.kind}:${event.name}`)).toEqual([
      "throttled:ThrottlingException",
      "transient:InternalServerException",
      "transient:StreamTruncatedError",
      "transient:ECONNRESET",
      "transient:ServiceUnavailableException",
      "transient:ModelStreamErrorException",
    ]);
    expect(events.throttled).toEqual([
      expect.objectContaining({ attempt: 1, kind: "throttled", name: "ThrottlingException" }),
    ]);
    expect(runner.stats()).toMatchObject({ completed: 1, retries: 6, throttled: 1 });
  });

  it("never retries a final error", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const events = recordEvents(runner);
    let attempts = 0;
    const error = await settle(
      clock,
      runner.run(
        call(async () => {
          attempts++;
          throw sdkError(
            "ValidationException",
            400,
            "Malformed input request: #: required key [messages] not found",
          );
        }),
      ),
    ).catch((caught: unknown) => caught);
    expect(attempts).toBe(1);
    expect(error).toBeInstanceOf(RetryError);
    const retryError = error as RetryError;
    expect(retryError.reason).toBe("final");
    expect(retryError.isRetryable).toBe(false);
    expect(retryError.recordId).toBe("row-1");
    expect(retryError.status).toBe(400);
    expect(retryError.failures).toEqual([
      expect.objectContaining({ attempt: 1, kind: "final", name: "ValidationException" }),
    ]);
    expect(retryError.message).toMatch(/Malformed input request/);
    expect(events.failed).toEqual([
      expect.objectContaining({ reason: "final", name: "ValidationException", error: retryError }),
    ]);
  });

  it("retries a model timeout only a bounded number of times", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    let attempts = 0;
    const error = (await settle(
      clock,
      runner.run(
        call(async () => {
          attempts++;
          throw sdkError("ModelTimeoutException", 408);
        }),
      ),
    ).catch((caught: unknown) => caught)) as RetryError;
    expect(attempts).toBe(3);
    expect(error.reason).toBe("max-attempts");
    expect(error.isRetryable).toBe(true);
    expect(error.errors).toHaveLength(3);
  });

  it("waits longer after ModelNotReady than after a server fault", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const waits: RetryingEvent[] = [];
    runner.on("retrying", (event) => waits.push(event));
    await settle(
      clock,
      runner.run(
        call(
          failing(
            sdkError("ModelNotReadyException", 429),
            sdkError("ModelNotReadyException", 429),
            sdkError("InternalServerException", 500),
          ),
        ),
      ),
    );
    // Full jitter with random 0.5: half of 2 s, then of 4 s; half of 100 ms for a server fault.
    expect(waits.map((event) => [event.kind, event.waitMs])).toEqual([
      ["model-not-ready", 1_000],
      ["model-not-ready", 2_000],
      ["transient", 50],
    ]);
  });

  it("backs off for minutes on an exhausted quota, pausing the lane, then reports", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const events = recordEvents(runner);
    let attempts = 0;
    const running = runner.run(
      call(async () => {
        attempts++;
        throw sdkError(
          "ThrottlingException",
          429,
          "Too many tokens per day, please wait before trying again.",
        );
      }),
    );
    await clock.advance(1_000);
    expect(attempts).toBe(1);
    expect(runner.stats().lanes[0]!.pausedUntil).toBeGreaterThan(50_000);
    await clock.advance(50_000);
    expect(attempts).toBe(1);
    const error = (await settle(clock, running).catch((caught: unknown) => caught)) as RetryError;
    expect(attempts).toBe(3);
    expect(error.reason).toBe("quota-exhausted");
    expect(error.isRetryable).toBe(true);
    expect(error.hint).toMatch(/per day/);
    // Waits of about one, then two minutes (±10%).
    expect(clock.now()).toBeGreaterThan(0.9 * 180_000);
    expect(events.throttled.map((event) => event.kind)).toEqual([
      "quota-exhausted",
      "quota-exhausted",
      "quota-exhausted",
    ]);
  });

  it("shares a retry budget across calls, so a dead endpoint fails fast", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock, { retry: { budget: { capacity: 10, retryCost: 5 } } });
    const refused = () =>
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    let attempts = 0;
    const dead = call(async () => {
      attempts++;
      throw refused();
    });
    const first = (await settle(clock, runner.run(dead)).catch(
      (caught: unknown) => caught,
    )) as RetryError;
    expect(first.reason).toBe("retry-budget-exhausted");
    expect(attempts).toBe(3);
    const second = (await settle(clock, runner.run(dead)).catch(
      (caught: unknown) => caught,
    )) as RetryError;
    expect(second.reason).toBe("retry-budget-exhausted");
    expect(attempts).toBe(4);
    expect(runner.stats().retryBudget).toBe(0);
  });

  it("aborting a queued call rejects it promptly and frees its place", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock, { limits: { "*": { concurrency: 1 } } });
    let release!: () => void;
    const holding = runner.run(
      call(
        () =>
          new Promise<Reply>(
            (resolve) => (release = () => resolve({ text: "a", outputTokens: 1 })),
          ),
      ),
    );
    const controller = new AbortController();
    const queued = runner.run(call(failing(), { signal: controller.signal, recordId: "row-2" }));
    await clock.advance(0);
    expect(runner.stats()).toMatchObject({ inFlight: 1, waiting: 1 });
    controller.abort(new Error("user pressed Ctrl-C"));
    await expect(queued).rejects.toThrow("user pressed Ctrl-C");
    expect(runner.stats()).toMatchObject({ inFlight: 1, waiting: 0 });
    release();
    await settle(clock, holding);
    expect(runner.stats().lanes[0]!.inFlight).toBe(0);
  });

  it("aborting an attempt that ignores its signal still rejects at once and releases the permit", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const controller = new AbortController();
    const running = runner.run(
      call(() => new Promise<Reply>(() => {}), { signal: controller.signal }),
    );
    await clock.advance(0);
    expect(runner.stats().lanes[0]!.inFlight).toBe(1);
    controller.abort(new Error("stop"));
    await expect(running).rejects.toThrow("stop");
    expect(runner.stats().lanes[0]!.inFlight).toBe(0);
    expect(runner.stats().inFlight).toBe(0);
  });

  it("aborting during a backoff rejects at once", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const controller = new AbortController();
    const running = runner.run(
      call(failing(sdkError("ModelNotReadyException", 429)), { signal: controller.signal }),
    );
    await clock.advance(10);
    expect(runner.stats().retries).toBe(1);
    controller.abort(new Error("stop"));
    await expect(running).rejects.toThrow("stop");
    expect(clock.pendingTimers).toBe(0);
  });

  it("gives every attempt a signal of its own; a signal shared by many calls carries one listener", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock, { limits: { "*": { concurrency: 4, tpm: 1e9, rpm: 1e6 } } });
    const shared = new AbortController();
    const seen: AbortSignal[] = [];
    const hanging = () =>
      call(
        ({ signal }) => {
          seen.push(signal);
          // An attempt that leaves its listener behind, as careless code does.
          signal.addEventListener("abort", () => {});
          return new Promise<Reply>(() => {});
        },
        { signal: shared.signal },
      );
    // Twenty calls on one signal: four in flight, sixteen queued in the limiter.
    const runs = Array.from({ length: 20 }, () => runner.run(hanging()));
    for (const run of runs) run.catch(() => {});
    await clock.advance(0);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    expect(seen).not.toContain(shared.signal);
    expect(getEventListeners(shared.signal, "abort")).toHaveLength(1);
    shared.abort(new Error("stop"));
    for (const run of runs) await expect(run).rejects.toThrow("stop");
    // Without a signal, attempts still get distinct ones (nothing shared accumulates listeners).
    const unsignalled: AbortSignal[] = [];
    await settle(
      clock,
      Promise.all(
        [1, 2].map(() =>
          runner.run(
            call(async ({ signal }) => {
              unsignalled.push(signal);
              return { text: "ok", outputTokens: 5 };
            }),
          ),
        ),
      ),
    );
    expect(unsignalled[0]).not.toBe(unsignalled[1]);
  });

  it("spreads calls over several lanes, each with its own limiter", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock, { limits: { "*": { concurrency: 1, tpm: 1e9 } } });
    const lanes: string[] = [];
    const releases: (() => void)[] = [];
    const spread = (recordId: string) =>
      runner.run(
        call(
          (context) => {
            lanes.push(context.lane);
            return new Promise<Reply>((resolve) =>
              releases.push(() => resolve({ text: recordId, outputTokens: 5 })),
            );
          },
          { lane: ["claude@us-east-1", "claude@us-west-2"], recordId },
        ),
      );
    const runs = [spread("a"), spread("b"), spread("c")];
    await clock.advance(0);
    expect(lanes.sort()).toEqual(["claude@us-east-1", "claude@us-west-2"]);
    releases[0]!();
    await clock.advance(0);
    expect(lanes).toHaveLength(3);
    for (const release of releases.slice(1)) release();
    await settle(clock, Promise.all(runs));
    expect(
      runner
        .stats()
        .lanes.map((lane) => lane.lane)
        .sort(),
    ).toEqual(["claude@us-east-1", "claude@us-west-2"]);
  });

  it("maxTokens 'auto' learns a tight limit and re-runs a reply cut off at it with room to finish", async () => {
    const clock = new ManualClock();
    // A known token limit: the token quota binds, so a tight limit is worth asking for.
    const runner = scheduler(clock, {
      outputLength: { minimumSamples: 3 },
      limits: { "*": { tpm: 10_000_000 } },
    });
    const events = recordEvents(runner);
    const asked: number[] = [];
    const auto = (length: number) => autoCall(asked, length, { outputBurndown: 5 });
    for (let i = 0; i < 3; i++) await settle(clock, runner.run(auto(100)));
    expect(asked).toEqual([1024, 1024, 1024]);
    const reply = await settle(clock, runner.run(auto(300)));
    // Cut off at 105: re-run with four times that, which it fits in.
    expect(asked.slice(3)).toEqual([105, 420]);
    expect(reply.text).toBe("300");
    expect(runner.stats().rerunsAtFullLimit).toBe(1);
    expect(events.retrying).toEqual([expect.objectContaining({ kind: "max-tokens", attempt: 1 })]);
    expect(events.sent.at(-2)).toMatchObject({ maxTokens: 105, reservedTokens: 100 + 105 * 5 });
    // The full reply's length is learned: the next call asks for more.
    await settle(clock, runner.run(auto(100)));
    expect(asked.at(-1)).toBe(315);
    // Cut off again on the re-run: then the full limit.
    const long = await settle(clock, runner.run(auto(2_000)));
    expect(asked.slice(-3)).toEqual([315, 1260, 4096]);
    expect(long.text).toBe("2000");
  });

  it("maxTokens 'auto' keeps the cold start's guess where the token quota does not bind", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock, { outputLength: { minimumSamples: 3 } });
    const asked: number[] = [];
    const auto = (length: number) => autoCall(asked, length);
    for (let i = 0; i < 5; i++) await settle(clock, runner.run(auto(100)));
    // Nothing refused a call for tokens: a tight limit would only risk re-runs.
    expect(asked).toEqual([1024, 1024, 1024, 1024, 1024]);
    expect(runner.stats().rerunsAtFullLimit).toBe(0);
  });

  it("uses an injected classification", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock, {
      classify: () => ({ kind: "final", name: "Nope", status: undefined, retryable: false }),
    });
    const error = (await settle(
      clock,
      runner.run(call(failing(sdkError("ThrottlingException", 429)))),
    ).catch((caught: unknown) => caught)) as RetryError;
    expect(error.reason).toBe("final");
    expect(error.failures[0]!.name).toBe("Nope");
  });

  it("refuses a malformed call before sending anything, naming the field", async () => {
    const runner = new Scheduler({ clock: new ManualClock() });
    await expect(runner.run(call(failing(), { lane: [] }))).rejects.toThrow(/ScheduledCall\.lane/);
    await expect(runner.run(call(failing(), { maxTokens: "auto" }))).rejects.toThrow(
      /ScheduledCall\.fullMaxTokens/,
    );
    await expect(runner.run(call(failing(), { inputTokens: -1 }))).rejects.toThrow(
      /ScheduledCall\.inputTokens/,
    );
    expect(runner.stats().calls).toBe(0);
    expect(() => new Scheduler({ retry: { maxAttempts: { timeout: 0 } } })).toThrow(
      /retry\.maxAttempts\.timeout/,
    );
  });

  it("gives the permit back even when reading the usage throws", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const running = runner.run(
      call(failing(), {
        usage: () => {
          throw new Error("no usage in this reply");
        },
      }),
    );
    await expect(settle(clock, running)).rejects.toThrow("no usage in this reply");
    expect(runner.stats().lanes[0]!.inFlight).toBe(0);
  });

  it("off() removes a listener", async () => {
    const clock = new ManualClock();
    const runner = scheduler(clock);
    const seen: unknown[] = [];
    const listener = (event: unknown) => seen.push(event);
    runner.on("completed", listener);
    runner.off("completed", listener);
    await settle(clock, runner.run(call(failing())));
    expect(seen).toEqual([]);
  });
});
