/** Several signals as one, and a way to let go of the sources. */
export interface LinkedSignal {
  /** Aborts when any source aborts (with its reason); undefined when there is no source. */
  readonly signal: AbortSignal | undefined;
  /** Removes the listeners from the sources. Call it when the call ends; safe to call twice. */
  dispose(): void;
}

/**
 * `AbortSignal.any`, but disposable. On Node 20 a signal made by `AbortSignal.any` stays
 * reachable from its sources until they abort — with every listener the AWS SDK added to it —
 * so a long run whose calls all hang off one run-wide signal grew by kilobytes per call
 * (1.7 GB over a million records). Listening on the sources and removing the listeners when
 * the call ends keeps memory flat.
 */
export function linkSignals(...sources: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const present = sources.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length === 0) return { signal: undefined, dispose() {} };
  if (present.length === 1) return { signal: present[0], dispose() {} };
  const controller = new AbortController();
  const aborted = present.find((signal) => signal.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, dispose() {} };
  }
  const listeners = present.map((source) => {
    const listener = () => {
      dispose();
      controller.abort(source.reason);
    };
    source.addEventListener("abort", listener, { once: true });
    return listener;
  });
  let disposed = false;
  function dispose(): void {
    if (disposed) return;
    disposed = true;
    for (let index = 0; index < present.length; index++) {
      present[index]!.removeEventListener("abort", listeners[index]!);
    }
  }
  return { signal: controller.signal, dispose };
}
