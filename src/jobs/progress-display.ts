import { SingleBar } from "cli-progress";
import {
  formatProgressLine,
  formatSeconds,
  type ProgressSnapshot,
  type ProgressTracker,
} from "./progress-tracker.js";

/** Where and how progress is shown. */
export interface ProgressDisplayOptions {
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * `bar` on a terminal, `log` (a plain line every `logEveryMs`) otherwise, `none` for `--json`.
   * @default "bar" when the stream is a TTY, else "log"
   */
  readonly mode?: "bar" | "log" | "none";
  /**
   * Interval between plain log lines.
   * @default 10000
   */
  readonly logEveryMs?: number;
}

/** A running display; `stop()` prints the final state and releases the terminal. */
export interface ProgressDisplay {
  stop(): void;
}

/**
 * Shows a tracker's progress: a live bar on a terminal (done, failed, retrying, req/s, tok/s,
 * throttles, ETA, dollars), plain periodic lines when the output is not a terminal.
 * It only reads the tracker, so the runner knows nothing about displays (DESIGN §11).
 */
export function startProgressDisplay(
  tracker: ProgressTracker,
  options: ProgressDisplayOptions,
): ProgressDisplay {
  const mode = options.mode ?? (options.stream.isTTY ? "bar" : "log");
  if (mode === "none") return { stop() {} };
  if (mode === "log") {
    const every = options.logEveryMs ?? 10_000;
    const timer = setInterval(
      () => options.stream.write(`${formatProgressLine(tracker.snapshot())}\n`),
      every,
    );
    timer.unref();
    return {
      stop() {
        clearInterval(timer);
        options.stream.write(`${formatProgressLine(tracker.snapshot())}\n`);
      },
    };
  }
  const bar = new SingleBar({
    stream: options.stream,
    format: (barOptions, params, payload: { line: string }) => {
      const size = barOptions.barsize ?? 30;
      const filled = Math.round(params.progress * size);
      return `[${"█".repeat(filled)}${"░".repeat(size - filled)}] ${payload.line}`;
    },
    barsize: 24,
    hideCursor: true,
    fps: 5,
    clearOnComplete: false,
  });
  const render = (snapshot: ProgressSnapshot) => ({ line: barLine(snapshot) });
  const first = tracker.snapshot();
  bar.start(Math.max(1, first.total), first.resumed, render(first));
  const timer = setInterval(() => {
    const snapshot = tracker.snapshot();
    bar.setTotal(Math.max(1, snapshot.total));
    bar.update(snapshot.resumed + snapshot.completed + snapshot.failed, render(snapshot));
  }, 200);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const snapshot = tracker.snapshot();
      bar.update(snapshot.resumed + snapshot.completed + snapshot.failed, render(snapshot));
      bar.stop();
    },
  };
}

function barLine(s: ProgressSnapshot): string {
  const done = s.resumed + s.completed + s.failed;
  const eta = s.etaMs === undefined ? "?" : formatSeconds(s.etaMs);
  return (
    `${done}/${s.total} ✓${s.completed + s.resumed} ✗${s.failed} ↻${s.retrying} | ${s.requestsPerSecond.toFixed(1)} req/s` +
    ` ${Math.round(s.tokensPerSecond)} tok/s | throttles ${s.throttles} | $${s.costUsd.toFixed(4)} | ETA ${eta}`
  );
}
