import type { StreamParser, StreamPart, TextResult, Usage } from "../models/model-codec.js";
import { linkSignals } from "../resilience/link-signals.js";
import type { ModelInfo } from "./model-info.js";
import type { CallSpec, CallTarget, QuarryContext } from "./quarry-context.js";
import type { StreamSink } from "./quarry-stream.js";
import { StreamAccumulator } from "./stream-accumulator.js";

/** How to open one streaming attempt and read its events. */
export interface StreamCallSpec<TParser extends StreamParser> {
  readonly model: ModelInfo;
  readonly operation: string;
  readonly recordId?: string;
  readonly signal: AbortSignal | undefined;
  readonly inputTokens: number;
  readonly maxTokens: number | "auto";
  readonly fullMaxTokens: number;
  /** Sends the request to `target`; resolves to the SDK's event iterable once the headers are in. */
  open(maxTokens: number, signal: AbortSignal, target: CallTarget): Promise<AsyncIterable<unknown>>;
  /** A fresh parser per attempt. */
  createParser(): TParser;
  /** The parser's input for one event, or undefined to skip the event. */
  chunkOf(event: unknown): unknown;
}

/** A finished stream: its result and the parser that read it (for trailing metadata). */
export interface StreamOutcome<TParser> {
  readonly result: TextResult;
  readonly parser: TParser;
  /** Where the stream that finished was sent. */
  readonly target: CallTarget;
}

interface AttemptOutcome<TParser> {
  readonly outcome?: StreamOutcome<TParser>;
  /** A failure after parts reached the reader: not retried, surfaced. */
  readonly failure?: unknown;
  readonly partialUsage?: Usage;
}

/** The error a stream's idle timer raises; classified as a timeout, so retried a few times. */
export class StreamIdleTimeoutError extends Error {
  override readonly name = "TimeoutError";
  readonly code = "ETIMEDOUT";
}

/**
 * Runs a streaming call through the scheduler, handing parts to `sink`. A failure is retried
 * by the scheduler while the reader has seen nothing; after that it is returned past the
 * scheduler (which refunds the estimated partial usage) and thrown to the reader.
 */
export async function runStream<TParser extends StreamParser>(
  context: QuarryContext,
  spec: StreamCallSpec<TParser>,
  sink: StreamSink,
): Promise<StreamOutcome<TParser>> {
  const idleMs = context.options.idleTimeoutMs;
  const callSignal = linkSignals(spec.signal, sink.signal);
  const call: CallSpec<AttemptOutcome<TParser>> = {
    model: spec.model,
    operation: spec.operation,
    ...(spec.recordId === undefined ? {} : { recordId: spec.recordId }),
    signal: callSignal.signal,
    inputTokens: spec.inputTokens,
    // A reply cut off at a learned ("auto") limit is run again at the full one; a live reader
    // would see the first attempt's parts twice, so live streams ask for the full limit.
    maxTokens: sink.live ? spec.fullMaxTokens : spec.maxTokens,
    fullMaxTokens: spec.fullMaxTokens,
    attempt: async ({ maxTokens, signal, target }) => {
      const idle = new AbortController();
      const linkedAttempt = linkSignals(signal, idle.signal);
      const attemptSignal = linkedAttempt.signal ?? idle.signal;
      const accumulator = new StreamAccumulator();
      const parser = spec.createParser();
      const deliver = async (parts: readonly StreamPart[]) => {
        for (const part of parts) {
          accumulator.add(part);
          await sink.push(part);
        }
      };
      let watch: { touch(): void; stop(): void } | undefined;
      try {
        const events = await spec.open(maxTokens, attemptSignal, target);
        const iterator = events[Symbol.asyncIterator]();
        // Rejects once the stream falls silent, even if the transport does not notice the abort.
        const silence = new Promise<never>((_resolve, reject) => {
          idle.signal.addEventListener("abort", () => reject(idle.signal.reason), { once: true });
        });
        silence.catch(() => {});
        if (idleMs > 0) watch = watchIdle(context, idleMs, idle, signal);
        for (;;) {
          const next = await Promise.race([iterator.next(), silence]);
          if (next.done) break;
          watch?.touch();
          const chunk = spec.chunkOf(next.value);
          if (chunk !== undefined) await deliver(parser.parse(chunk));
        }
        await deliver(parser.finish());
        return { outcome: { result: accumulator.result(), parser, target } };
      } catch (caught) {
        // A silent stream's transport error (the abort) is reported as the timeout it was.
        const error = idle.signal.aborted ? idle.signal.reason : caught;
        if (sink.live && sink.delivered > 0 && !signal?.aborted) {
          return {
            failure: error,
            partialUsage: {
              inputTokens: spec.inputTokens,
              outputTokens: Math.ceil(accumulator.outputCharacters / 4),
            },
          };
        }
        throw error;
      } finally {
        watch?.stop();
        linkedAttempt.dispose();
      }
    },
    usage: (attempt) =>
      attempt.outcome?.result.usage ?? attempt.partialUsage ?? { inputTokens: 0, outputTokens: 0 },
    stoppedAtMaxTokens: (attempt) => attempt.outcome?.result.stopReason === "max_tokens",
  };
  try {
    const attempted = await context.schedule(call);
    if (attempted.failure !== undefined || !attempted.outcome)
      throw await context.describe(attempted.failure, call as CallSpec<unknown>);
    return attempted.outcome;
  } finally {
    callSignal.dispose();
  }
}

/**
 * Watches a stream for silence: one pending sleep at a time, re-armed from the last event when
 * it fires (not one timer per event, which a fast stream would pay for thousands of times).
 * After `idleMs` without an event it aborts `idle` with a `StreamIdleTimeoutError`.
 */
function watchIdle(
  context: QuarryContext,
  idleMs: number,
  idle: AbortController,
  signal: AbortSignal | undefined,
): { touch(): void; stop(): void } {
  const clock = context.clock;
  const stopped = new AbortController();
  const linked = linkSignals(stopped.signal, signal);
  const cancel = linked.signal!;
  let last = clock.now();
  void (async () => {
    for (;;) {
      try {
        await clock.sleep(Math.max(0, last + idleMs - clock.now()), cancel);
      } catch {
        return;
      }
      if (clock.now() - last >= idleMs) {
        idle.abort(
          new StreamIdleTimeoutError(
            `The stream was silent for ${idleMs} ms (timeouts.idleMs); the request was abandoned.`,
          ),
        );
        return;
      }
    }
  })();
  return {
    touch: () => {
      last = clock.now();
    },
    stop: () => {
      stopped.abort();
      linked.dispose();
    },
  };
}
