import { randomUUID } from "node:crypto";
import { link, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { InputError } from "./input-error.js";

/** What a lock file holds: enough to tell whether its owner still runs. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** ISO time the lock was taken. */
  readonly startedOn: string;
  /** Random, so that an owner can tell its own lock file from a successor's. */
  readonly token: string;
}

/** A held lock. */
export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

/** Options of `acquireLock`. */
export interface AcquireLockOptions {
  /** What the lock protects, for messages ("the journal of out.jsonl"). */
  readonly purpose: string;
  /**
   * Tells whether a process runs. @default `process.kill(pid, 0)`: alive unless it throws ESRCH
   */
  readonly isAlive?: (pid: number) => boolean;
  /**
   * How old an empty or unreadable lock file must be to count as abandoned (its owner may still
   * be writing it). @default 10000
   */
  readonly abandonedAfterMs?: number;
}

/**
 * Takes an exclusive lock file holding our pid (created with `wx`, so only one process can
 * create it). A lock whose pid is dead on this host is stale and taken over; one held by a live
 * pid, or by another host (whose pids we cannot check), is refused with `input.journal-locked`.
 *
 * Taking over renames the stale file aside first and checks that what was moved is the stale
 * lock that was read: two processes taking over the same stale lock at once cannot both win.
 */
export async function acquireLock(path: string, options: AcquireLockOptions): Promise<HeldLock> {
  const isAlive = options.isAlive ?? processIsAlive;
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedOn: new Date().toISOString(),
    token: randomUUID(),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeFile(path, `${JSON.stringify(owner)}\n`, { flag: "wx" });
      return heldLock(path, owner);
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
    const existing = await readOwner(path);
    if (existing === "gone") continue;
    if (existing === "unreadable") {
      const age = await ageOf(path);
      if (age === undefined) continue;
      if (age < (options.abandonedAfterMs ?? 10_000))
        throw lockedError(path, options.purpose, "another run is starting on it");
      await takeOver(path, undefined);
      continue;
    }
    if (existing.hostname !== owner.hostname)
      throw lockedError(
        path,
        options.purpose,
        `a run on host ${existing.hostname} (pid ${existing.pid}, since ${existing.startedOn}) holds it`,
      );
    if (existing.pid === process.pid || isAlive(existing.pid))
      throw lockedError(
        path,
        options.purpose,
        `another run (pid ${existing.pid}, since ${existing.startedOn}) is using it`,
      );
    await takeOver(path, existing.token);
  }
  throw lockedError(path, options.purpose, "other runs keep taking it");
}

function heldLock(path: string, owner: LockOwner): HeldLock {
  let released = false;
  return {
    path,
    owner,
    async release() {
      if (released) return;
      released = true;
      const current = await readOwner(path);
      if (typeof current === "object" && current.token === owner.token)
        await unlink(path).catch(() => undefined);
    },
  };
}

/** Moves a stale lock aside; puts it back if what moved turns out not to be the stale lock. */
async function takeOver(path: string, staleToken: string | undefined): Promise<void> {
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return;
    throw error;
  }
  const moved = await readOwner(aside);
  const movedToken = typeof moved === "object" ? moved.token : undefined;
  if (movedToken !== staleToken) {
    // Someone else took over first and we moved their fresh lock: restore it (link fails if a
    // third lock appeared meanwhile, which then stands).
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

async function readOwner(path: string): Promise<LockOwner | "gone" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return "gone";
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === "number" && typeof value.token === "string")
      return {
        pid: value.pid,
        hostname: String(value.hostname ?? ""),
        startedOn: String(value.startedOn ?? "?"),
        token: value.token,
      };
  } catch {
    // Falls through: a lock file cut short by a crash between create and write.
  }
  return "unreadable";
}

async function ageOf(path: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code !== "ESRCH";
  }
}

function lockedError(path: string, purpose: string, reason: string): InputError {
  return new InputError("input.journal-locked", `${purpose} is locked: ${reason}`, {
    file: path,
    hint: "Wait for the other run to finish. If no other run exists, delete the lock file.",
  });
}
