import { readFile, stat } from "node:fs/promises";
import { readDataset } from "./dataset-reader.js";
import type { JobSpec } from "./job-spec.js";
import { journalPaths } from "./journal.js";
import type { LockOwner } from "./lock-file.js";
import { readLines } from "./read-lines.js";

/** How far a job is. */
export interface JobStatus {
  readonly records: number;
  readonly completed: number;
  readonly failed: number;
  readonly pending: number;
  readonly costUsd: number;
  readonly journalExists: boolean;
  /** ISO time of the latest outcome. */
  readonly lastFinishedOn: string | undefined;
  /** The run holding the journal's lock right now, if its process is alive. */
  readonly running: LockOwner | undefined;
}

/**
 * Reads a job's journal (without taking its lock, so a running job is not disturbed) and counts
 * its input rows. A torn last line — a run being killed or still writing — is ignored.
 */
export async function jobStatus(spec: JobSpec): Promise<JobStatus> {
  const paths = journalPaths(spec.output);
  let records = 0;
  for await (const _record of readDataset({
    file: spec.input,
    format: spec.inputFormat,
    ...(spec.id ? { idColumn: spec.id } : {}),
    ...(spec.rows ? { limit: spec.rows } : {}),
    checkDuplicates: false,
  }))
    records++;

  const journalExists = await exists(paths.journal);
  // The latest state per id: a later outcome (a retried failure) supersedes an earlier one.
  const states = new Map<string, "completed" | "failed">();
  let costUsd = 0;
  let lastFinishedOn: number | undefined;
  if (journalExists) {
    let first = true;
    for await (const line of readLines(paths.journal)) {
      if (first) {
        first = false;
        continue;
      }
      let entry: {
        id?: string;
        state?: "completed" | "failed";
        costUsd?: number;
        finishedOn?: number;
      };
      try {
        entry = JSON.parse(line.text);
      } catch {
        continue;
      }
      if (typeof entry.id !== "string" || (entry.state !== "completed" && entry.state !== "failed"))
        continue;
      if (states.get(entry.id) === "completed") continue;
      states.set(entry.id, entry.state);
      costUsd += entry.costUsd ?? 0;
      if (entry.finishedOn !== undefined)
        lastFinishedOn = Math.max(lastFinishedOn ?? 0, entry.finishedOn);
    }
  }
  let completed = 0;
  let failed = 0;
  for (const state of states.values()) {
    if (state === "completed") completed++;
    else failed++;
  }
  return {
    records,
    completed,
    failed,
    pending: Math.max(0, records - completed - failed),
    costUsd,
    journalExists,
    lastFinishedOn:
      lastFinishedOn === undefined ? undefined : new Date(lastFinishedOn).toISOString(),
    running: await liveOwner(paths.lock),
  };
}

async function liveOwner(lockPath: string): Promise<LockOwner | undefined> {
  let owner: LockOwner;
  try {
    owner = JSON.parse(await readFile(lockPath, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
  try {
    process.kill(owner.pid, 0);
    return owner;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM" ? owner : undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
