import type { JournalTarget, JournalUsage } from "./journal.js";

/** A record started: it left the queue for the client (its first request may still wait). */
export interface RecordStartEvent {
  readonly id: string;
  readonly rowNumber: number;
}

/** A record ended with a result. */
export interface RecordCompletedEvent {
  readonly id: string;
  readonly rowNumber: number;
  /** Milliseconds from start to result, over all its calls. */
  readonly latencyMs: number;
  readonly attemptsMade: number;
  readonly usage: JournalUsage;
  readonly costUsd: number;
  /** Where its last call ran, when the job spreads over several places. */
  readonly target?: JournalTarget | undefined;
  /** The parsed result (with a schema) or the reply text. */
  readonly result: unknown;
}

/** A record ended as a failure with a reason. */
export interface RecordFailedEvent {
  readonly id: string;
  readonly rowNumber: number;
  readonly reason: string;
  readonly errorCode: string;
  readonly raw?: string;
  readonly attemptsMade: number;
  readonly usage: JournalUsage;
  readonly costUsd: number;
}

/** One request left for the service (a record may make several). */
export interface RequestEvent {
  readonly id: string | undefined;
  readonly attempt: number;
}

/** The service throttled a request. */
export interface ThrottleEvent {
  readonly id: string | undefined;
  readonly name: string;
}

/** A request failed and will be tried again after `waitMs`. */
export interface RetryEvent {
  readonly id: string | undefined;
  readonly name: string;
  readonly waitMs: number;
}

/** The events of a run, for progress displays and the report (DESIGN §11). */
export interface RunEvents {
  "record-start": RecordStartEvent;
  "record-completed": RecordCompletedEvent;
  "record-failed": RecordFailedEvent;
  request: RequestEvent;
  throttled: ThrottleEvent;
  retrying: RetryEvent;
}

export type RunEventName = keyof RunEvents;
export type RunListener<E extends RunEventName> = (event: RunEvents[E]) => void;

/** A small typed event emitter: listeners are called in order; one that throws does not stop the run. */
export class RunEmitter {
  readonly #listeners = new Map<RunEventName, ((event: never) => void)[]>();

  on<E extends RunEventName>(name: E, listener: RunListener<E>): () => void {
    const list = this.#listeners.get(name) ?? [];
    list.push(listener as (event: never) => void);
    this.#listeners.set(name, list);
    return () => {
      const current = this.#listeners.get(name) ?? [];
      this.#listeners.set(
        name,
        current.filter((l) => l !== listener),
      );
    };
  }

  emit<E extends RunEventName>(name: E, event: RunEvents[E]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as RunListener<E>)(event);
      } catch {
        // A display's bug must never lose a record.
      }
    }
  }
}
