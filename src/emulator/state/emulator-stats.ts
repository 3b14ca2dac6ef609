import type { Clock } from "../../clock/clock.js";

/** One finished request, as the statistics record it. */
export interface RequestRecord {
  readonly operation: string;
  readonly modelId?: string;
  /**
   * `ok`; `throttled:tpm|rpm|concurrency|tpd`; `fault:<kind>` for an injected fault (see
   * `FaultKind`); an AWS exception name for any other error (`ValidationException`, ...);
   * `client-aborted` when the client went away mid-stream.
   */
  readonly outcome: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

/** One second of the timeline: the requests that finished in it, by kind of outcome. */
export interface TimelineSecond {
  /** Whole seconds since the emulator started (or was last reset). */
  readonly second: number;
  requests: number;
  ok: number;
  /** Refused by a quota (`throttled:*`). */
  throttled: number;
  /** Given an injected fault (`fault:*`). */
  faults: number;
  /** Any other failure: validation errors, unknown models, clients that went away. */
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

/** A snapshot of the statistics, as served at `/_quarry/stats`. */
export interface StatsSnapshot {
  readonly requests: number;
  readonly byOperation: Record<string, Record<string, number>>;
  readonly byOutcome: Record<string, number>;
  readonly byModel: Record<string, Record<string, number>>;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Requests in flight right now. */
  readonly inFlight: number;
  readonly timeline: TimelineSecond[];
}

/** Counts requests by operation, outcome and model, tokens, and a per-second timeline. */
export class EmulatorStats {
  readonly #clock: Clock;
  #origin: number;
  #requests = 0;
  #byOperation: Record<string, Record<string, number>> = {};
  #byOutcome: Record<string, number> = {};
  #byModel: Record<string, Record<string, number>> = {};
  #inputTokens = 0;
  #outputTokens = 0;
  #timeline: TimelineSecond[] = [];
  inFlight = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#origin = clock.now();
  }

  /** Counts one finished request, in the second of the timeline it finished in. */
  record(entry: RequestRecord): void {
    this.#requests++;
    this.#byOperation[entry.operation] ??= {};
    increment(this.#byOperation[entry.operation]!, entry.outcome);
    increment(this.#byOutcome, entry.outcome);
    if (entry.modelId) {
      this.#byModel[entry.modelId] ??= {};
      increment(this.#byModel[entry.modelId]!, entry.outcome);
    }
    this.#inputTokens += entry.inputTokens ?? 0;
    this.#outputTokens += entry.outputTokens ?? 0;

    const second = Math.max(0, Math.floor((this.#clock.now() - this.#origin) / 1000));
    let slot = this.#timeline[this.#timeline.length - 1];
    if (!slot || slot.second !== second) {
      slot = this.#timeline.find((s) => s.second === second);
      if (!slot) {
        slot = {
          second,
          requests: 0,
          ok: 0,
          throttled: 0,
          faults: 0,
          errors: 0,
          inputTokens: 0,
          outputTokens: 0,
        };
        this.#timeline.push(slot);
        this.#timeline.sort((a, b) => a.second - b.second);
      }
    }
    slot.requests++;
    if (entry.outcome === "ok") slot.ok++;
    else if (entry.outcome.startsWith("throttled:")) slot.throttled++;
    else if (entry.outcome.startsWith("fault:")) slot.faults++;
    else slot.errors++;
    slot.inputTokens += entry.inputTokens ?? 0;
    slot.outputTokens += entry.outputTokens ?? 0;
  }

  /** A deep copy of the statistics, safe to keep while counting goes on. */
  /** Milliseconds since start (or the last reset), on the emulator's clock. */
  elapsedMs(): number {
    return this.#clock.now() - this.#origin;
  }

  snapshot(): StatsSnapshot {
    return structuredClone({
      requests: this.#requests,
      byOperation: this.#byOperation,
      byOutcome: this.#byOutcome,
      byModel: this.#byModel,
      inputTokens: this.#inputTokens,
      outputTokens: this.#outputTokens,
      inFlight: this.inFlight,
      timeline: this.#timeline,
    });
  }

  /** Starts counting from zero and the timeline from second 0; requests in flight stay counted. */
  reset(): void {
    this.#origin = this.#clock.now();
    this.#requests = 0;
    this.#byOperation = {};
    this.#byOutcome = {};
    this.#byModel = {};
    this.#inputTokens = 0;
    this.#outputTokens = 0;
    this.#timeline = [];
  }
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
