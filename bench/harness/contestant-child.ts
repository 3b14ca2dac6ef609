// One contestant in a process of its own, so that its CPU time and peak RSS are its own and no
// two contestants share an event loop. Protocol over the IPC channel:
//   parent → { type: "start", contestant, run }      child loads the contestant's modules
//   child  → { type: "ready" }                       parent resets the emulator
//   parent → { type: "go" }                          child runs, to the end or its deadline
//   child  → { type: "done", ...ChildReport }        and exits
// At the deadline the results so far are taken as they stand; what is still in flight is
// unfinished.
import { setMaxListeners } from "node:events";
import type { Contestant, ContestantRun } from "../contestants/contestant.js";
import { CONTESTANTS } from "../contestants/index.js";
import type { WorkItem } from "../scenarios/workload.js";
import type { RecordResult } from "./record-accounting.js";

/** What the parent sends to start a contestant. */
export interface StartMessage {
  readonly type: "start";
  readonly contestant: string;
  readonly run: Omit<ContestantRun, "signal" | "report" | "items"> & {
    readonly items: readonly WorkItem[];
    readonly deadlineMs: number;
  };
}

/** What the child reports when done. */
export interface ChildReport {
  readonly type: "done";
  readonly results: readonly RecordResult[];
  readonly wallMs: number;
  readonly cutAtDeadline: boolean;
  /** User + system CPU time of the run, in ms (module loading excluded). */
  readonly cpuMs: number;
  /** Peak resident set size of the process, in MiB. */
  readonly peakRssMiB: number;
  /** An error that ended the run itself (not one record). */
  readonly error?: string;
}

/** How long a contestant gets, after its deadline, to let go of what it holds. */
const GRACE_MS = 2_000;

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve())),
  );
}

function nextMessage<T>(): Promise<T> {
  return new Promise((resolve) => process.once("message", (message) => resolve(message as T)));
}

const start = await nextMessage<StartMessage>();
const load = CONTESTANTS[start.contestant];
if (!load) throw new Error(`unknown contestant ${start.contestant}`);
const contestant: Contestant = await load();
await send({ type: "ready" });
await nextMessage<{ type: "go" }>();

const results: RecordResult[] = [];
const controller = new AbortController();
// Every call in flight listens on the one deadline signal.
setMaxListeners(0, controller.signal);
const cpuStart = process.cpuUsage();
const startedAt = performance.now();
let snapshot: RecordResult[] | undefined;
let deadlineAt = 0;
const deadline = setTimeout(() => {
  deadlineAt = performance.now();
  snapshot = [...results];
  controller.abort(new Error("deadline"));
}, start.run.deadlineMs);

let error: string | undefined;
const running = contestant
  .run({
    ...start.run,
    signal: controller.signal,
    report: (result) => {
      results.push(result);
    },
  })
  .catch((thrown: unknown) => {
    if (!controller.signal.aborted)
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  });
await Promise.race([
  running,
  new Promise<void>((resolve) =>
    controller.signal.addEventListener("abort", () => setTimeout(resolve, GRACE_MS), {
      once: true,
    }),
  ),
]);
const finishedAt = snapshot ? deadlineAt : performance.now();
clearTimeout(deadline);
const cpu = process.cpuUsage(cpuStart);
const report: ChildReport = {
  type: "done",
  results: snapshot ?? results,
  wallMs: finishedAt - startedAt,
  cutAtDeadline: snapshot !== undefined,
  cpuMs: (cpu.user + cpu.system) / 1000,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  ...(error === undefined ? {} : { error }),
};
await send(report);
process.exit(0);
