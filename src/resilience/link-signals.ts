/** Several signals as one, and a way to let go of the sources. */
export interface LinkedSignal {
  /** Aborts when any source aborts (with its reason); undefined when there is no source. */
  readonly signal: AbortSignal | undefined;
  /** Removes the listeners from the sources. Call it when the call ends; safe to call twice. */
  dispose(): void;
}

/**
 * `AbortSignal.any`, but disposable, and one listener per source however many calls hang off
 * it. On Node 20 a signal made by `AbortSignal.any` stays reachable from its sources until they
 * abort — with every listener the AWS SDK added to it — so a long run whose calls all hang off
 * one run-wide signal grew by kilobytes per call (1.7 GB over a million records). And a listener
 * per call in flight on a shared signal is what Node warns of as a leak past ten
 * (`MaxListenersExceededWarning`). So each call gets a signal of its own, whatever the SDK and the
 * scheduler add listens there, and a shared source has a single listener that aborts every call
 * linked to it at that moment; disposing a call unlinks it.
 */
export function linkSignals(...sources: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const present = sources.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length === 0) return { signal: undefined, dispose() {} };
  const controller = new AbortController();
  const aborted = present.find((signal) => signal.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, dispose() {} };
  }
  for (const source of present) followersOf(source).add(controller);
  return {
    signal: controller.signal,
    // Deleting from a set is idempotent: safe to call twice.
    dispose() {
      for (const source of present) followers.get(source)?.delete(controller);
    },
  };
}

/** The calls linked to each source now; the source's one listener aborts them all. */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

function followersOf(source: AbortSignal): Set<AbortController> {
  const known = followers.get(source);
  if (known) return known;
  const linked = new Set<AbortController>();
  followers.set(source, linked);
  source.addEventListener(
    "abort",
    () => {
      const now = [...linked];
      linked.clear();
      for (const controller of now) controller.abort(source.reason);
    },
    { once: true },
  );
  return linked;
}
