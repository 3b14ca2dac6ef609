import { type FileHandle, mkdir, open, rename, stat, truncate } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Clock } from "../clock/clock.js";
import { systemClock } from "../clock/system-clock.js";
import { describeFingerprintChanges, type JobFingerprint } from "./fingerprint.js";
import { IdIndex, type ReadonlyIdSet } from "./id-index.js";
import { InputError } from "./input-error.js";
import { acquireLock, type HeldLock } from "./lock-file.js";
import { readLines } from "./read-lines.js";

/**
 * How a record ended (BullMQ's final states). `waiting`, `active` and `delayed` are states of a
 * running job that the scheduler reports as events; only final outcomes are journaled.
 */
export type JournalState = "completed" | "failed";

/** Token counts of a record's calls, summed over its attempts. */
export interface JournalUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
}

/**
 * One record's outcome, one line of the journal. Everything the outputs need is here — the
 * result, the failure, the carried input columns — so that CSV and JSON outputs are written from
 * the journal alone, without reading the input again.
 */
export interface JournalEntry {
  /** The record's stable id. */
  readonly id: string;
  /** Its 1-based input row. */
  readonly rowNumber: number;
  /** The input line its row starts on, for line formats. */
  readonly line?: number;
  readonly state: JournalState;
  /** `rowHash(id, fields)` of the input row: a resumed run refuses an edited row. */
  readonly rowHash: string;
  /** How many calls were made for it (first try, retries, re-asks after invalid replies). */
  readonly attemptsMade: number;
  /** When it finished, in epoch milliseconds. */
  readonly finishedOn: number;
  /** The parsed reply (with a schema) or the reply text (without). Absent when failed. */
  readonly result?: unknown;
  /** Why it failed, in words the user can act on. */
  readonly failedReason?: string;
  /** A stable code for the failure (`schema`, `ValidationException`, `input.missing-variable`). */
  readonly errorCode?: string;
  /** The last reply as received, kept for failures so that they can be inspected. */
  readonly raw?: string;
  /** Why the model stopped (`end_turn`, `max_tokens`...). */
  readonly stopReason?: string;
  readonly usage?: JournalUsage;
  /** What the record's calls cost, in US dollars, when the price is known. */
  readonly costUsd?: number;
  /** Wall time from the first send to the final outcome. */
  readonly durationMs?: number;
  /** The input columns the job carries into the output. */
  readonly carry?: Readonly<Record<string, unknown>>;
  /**
   * Where the record's last call ran, when the job spreads over `targets` (its cost is priced
   * call by call where each ran).
   */
  readonly target?: JournalTarget;
}

/** A Region and the model id called there. */
export interface JournalTarget {
  readonly region: string;
  readonly model: string;
}

/** The journal's first line. */
export interface JournalHeader {
  readonly type: "quarry-journal";
  readonly version: 1;
  /** ISO time the journal was started. */
  readonly createdOn: string;
  readonly fingerprint: JobFingerprint;
}

/** A record as the runner meets it, to be looked up in the journal. */
export interface JournalLookup {
  readonly id: string;
  readonly rowNumber: number;
  readonly line?: number;
  readonly rowHash: string;
  /** The input file, for the message when the row changed. */
  readonly file?: string;
}

/** Options of `entries()`. */
export interface JournalEntriesOptions {
  /**
   * `journal`: in the order they were written; `input`: by input row (a second pass reads them
   * back by position, so memory stays at ~16 bytes per record). @default "journal"
   */
  readonly order?: "journal" | "input";
  /** Only the latest entry of each id (a `--retry-failed` run may supersede one). @default true */
  readonly latest?: boolean;
  readonly signal?: AbortSignal;
}

/** Called after each batch reaches the journal file, with the entries of that batch. */
export type FlushListener = (entries: readonly JournalEntry[]) => void | Promise<void>;

/**
 * Where a job's records are journaled, behind an interface so that the runner does not care
 * whether it is a file (`FileJournal`) or memory (`MemoryJournal`, for code that wants no resume).
 *
 * The resume primitive: `append` of an id already journaled as completed is a no-op.
 */
export interface JournalStore {
  readonly header: JournalHeader;
  /** Latest-state counts. */
  readonly counts: { readonly completed: number; readonly failed: number };
  /**
   * The journaled state of a record, or undefined when it is still to do (never journaled, or
   * failed and the journal was opened with `retryFailed`). A record journaled with a different
   * row hash is an `input.row-changed` error: the input was edited since.
   */
  check(record: JournalLookup): JournalState | undefined;
  /** The latest state of `id`, with no row check. */
  stateOf(id: string): JournalState | undefined;
  /** The ids journaled as completed, as a compact index. */
  completedIds(): ReadonlyIdSet;
  /**
   * Journals an outcome (batched; see `flush`). Returns false, writing nothing, when the id is
   * already completed. A failed id may be superseded by a later outcome.
   */
  append(entry: JournalEntry): boolean;
  /** Writes what is batched; resolves once it is in the file and listeners have run. */
  flush(): Promise<void>;
  /** Subscribes to flushed batches (the JSONL output follows the journal this way). */
  onFlush(listener: FlushListener): () => void;
  /** Reads the entries back (after a flush). */
  entries(options?: JournalEntriesOptions): AsyncIterable<JournalEntry>;
  /** Flushes, releases the lock and closes. Safe to call twice. */
  close(): Promise<void>;
}

/** Where a job's journal, lock and archives live for a given output file. */
export interface JournalPaths {
  /** `.quarry/` beside the output. */
  readonly folder: string;
  /** `.quarry/<output name>.journal.jsonl` */
  readonly journal: string;
  /** `.quarry/<output name>.journal.lock` */
  readonly lock: string;
  /** `.quarry/archive/`, where `--fresh` moves an old journal. */
  readonly archive: string;
}

/**
 * The journal of an output file lives in a `.quarry/` folder beside it — out of the way of the
 * user's own files, but beside the results it belongs to (moving a job's folder moves both),
 * and named after the output, so that two jobs writing different outputs in one folder never
 * share a journal, and two runs of one job always do (and meet at its lock).
 */
export function journalPaths(outputFile: string): JournalPaths {
  const folder = join(dirname(outputFile), ".quarry");
  const name = basename(outputFile);
  return {
    folder,
    journal: join(folder, `${name}.journal.jsonl`),
    lock: join(folder, `${name}.journal.lock`),
    archive: join(folder, "archive"),
  };
}

/** Options of `FileJournal.open`. */
export interface OpenJournalOptions {
  /** The journal file (see `journalPaths`). */
  readonly path: string;
  /** The job's fingerprint; an existing journal with another one is refused. */
  readonly fingerprint: JobFingerprint;
  /** The lock file. @default `<path without .jsonl>.lock` */
  readonly lockPath?: string;
  /**
   * Start over: an existing journal is moved into `archiveFolder` (never deleted: it holds paid
   * results). @default false
   */
  readonly fresh?: boolean;
  /** Where `fresh` moves an old journal. @default `archive/` beside the journal */
  readonly archiveFolder?: string;
  /** Treat failed records as still to do (`--retry-failed`). @default false */
  readonly retryFailed?: boolean;
  /** Drives the flush timer. @default systemClock */
  readonly clock?: Clock;
  /** How long an appended entry may wait before its batch is written. @default 200 */
  readonly flushIntervalMs?: number;
  /** A batch this large is written at once. @default 1000 */
  readonly maxBatch?: number;
  /**
   * `fdatasync` after each batch. Not needed to survive `kill -9` (the kernel keeps what was
   * written); needed to survive power loss. @default false
   */
  readonly durable?: boolean;
  /** Lock liveness check, for tests. @default `process.kill(pid, 0)` */
  readonly isAlive?: (pid: number) => boolean;
}

// Index words: 0 = sequence number of the id's latest entry (1-based) with the top bit set when
// that entry failed; 1 = the first 32 bits of its row hash.
const FAILED_BIT = 0x80000000;
const SEQUENCE_MASK = 0x7fffffff;

/**
 * An append-only JSONL journal: a header line with the job's fingerprint, then one line per
 * outcome. Crash safety rests on three habits:
 *
 * - each batch is one `write` of complete lines ending in `\n`, appended, so `kill -9` can leave
 *   at most one torn line at the end — which `open` cuts away;
 * - a line that does not parse anywhere but at the end is corruption and stops the run;
 * - an exclusive lock file (with the pid, taken over when that pid is dead) keeps two runs off
 *   one journal.
 *
 * Memory is a compact index of ids (`IdIndex`, ~20 bytes per id) plus the pending batch.
 */
export class FileJournal implements JournalStore {
  readonly path: string;
  readonly header: JournalHeader;
  readonly #handle: FileHandle;
  readonly #lock: HeldLock;
  readonly #index: IdIndex;
  readonly #clock: Clock;
  readonly #flushIntervalMs: number;
  readonly #maxBatch: number;
  readonly #durable: boolean;
  readonly #retryFailed: boolean;
  readonly #listeners = new Set<FlushListener>();
  #sequence: number;
  #completed = 0;
  #failed = 0;
  #pending: JournalEntry[] = [];
  #pendingText: string[] = [];
  #writing: Promise<void> = Promise.resolve();
  #writeInProgress = false;
  /** The write queued behind the one in progress (there is at most one). */
  #writeAgain: Promise<void> | undefined;
  #timer: AbortController | undefined;
  #error: unknown;
  #closed = false;

  private constructor(
    path: string,
    header: JournalHeader,
    handle: FileHandle,
    lock: HeldLock,
    scan: JournalScan,
    options: OpenJournalOptions,
  ) {
    this.path = path;
    this.header = header;
    this.#handle = handle;
    this.#lock = lock;
    this.#index = scan.index;
    this.#sequence = scan.sequence;
    this.#completed = scan.completed;
    this.#failed = scan.failed;
    this.#clock = options.clock ?? systemClock;
    this.#flushIntervalMs = options.flushIntervalMs ?? 200;
    this.#maxBatch = options.maxBatch ?? 1000;
    this.#durable = options.durable ?? false;
    this.#retryFailed = options.retryFailed ?? false;
  }

  /**
   * Opens (or creates) a journal: takes its lock, archives it when `fresh`, checks the
   * fingerprint (`input.job-changed` naming what changed), cuts a torn last line, indexes the ids.
   */
  static async open(options: OpenJournalOptions): Promise<FileJournal> {
    const { path } = options;
    const flushIntervalMs = options.flushIntervalMs ?? 200;
    const maxBatch = options.maxBatch ?? 1000;
    if (!(flushIntervalMs >= 0))
      throw new RangeError(
        `flushIntervalMs must be a number of milliseconds ≥ 0, got ${String(flushIntervalMs)}`,
      );
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new RangeError(`maxBatch must be a whole number ≥ 1, got ${String(maxBatch)}`);
    await mkdir(dirname(path), { recursive: true });
    const lock = await acquireLock(options.lockPath ?? path.replace(/\.jsonl$/, "") + ".lock", {
      purpose: `the journal ${path}`,
      isAlive: options.isAlive,
    });
    try {
      if (options.fresh)
        await archiveJournal(path, options.archiveFolder ?? join(dirname(path), "archive"));
      const scan = await scanJournal(path);
      let header = scan.header;
      if (header) {
        const changes = describeFingerprintChanges(header.fingerprint, options.fingerprint);
        if (changes.length > 0) throw jobChangedError(path, header, scan, changes);
      }
      const handle = await open(path, "a");
      try {
        if (!header) {
          header = {
            type: "quarry-journal",
            version: 1,
            createdOn: new Date().toISOString(),
            fingerprint: options.fingerprint,
          };
          await writeAll(handle, Buffer.from(`${JSON.stringify(header)}\n`));
        }
        return new FileJournal(path, header, handle, lock, scan, options);
      } catch (error) {
        await handle.close();
        throw error;
      }
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get counts(): { readonly completed: number; readonly failed: number } {
    return { completed: this.#completed, failed: this.#failed };
  }

  check(record: JournalLookup): JournalState | undefined {
    const slot = this.#index.find(record.id);
    if (slot < 0) return undefined;
    const failed = (this.#index.get(slot, 0) & FAILED_BIT) !== 0;
    if (failed && this.#retryFailed) return undefined;
    if (this.#index.get(slot, 1) !== hashPrefix(record.rowHash))
      throw new InputError(
        "input.row-changed",
        `the input row changed since record "${record.id}" was journaled as ${failed ? "failed" : "completed"} in ${this.path}`,
        {
          file: record.file,
          row: record.rowNumber,
          line: record.line,
          recordId: record.id,
          hint: "Undo the edit to resume, or run with --fresh to start over (the old journal is archived).",
        },
      );
    return failed ? "failed" : "completed";
  }

  stateOf(id: string): JournalState | undefined {
    const slot = this.#index.find(id);
    if (slot < 0) return undefined;
    return (this.#index.get(slot, 0) & FAILED_BIT) !== 0 ? "failed" : "completed";
  }

  completedIds(): ReadonlyIdSet {
    const index = this.#index;
    const journal = this;
    return {
      has: (id) => {
        const slot = index.find(id);
        return slot >= 0 && (index.get(slot, 0) & FAILED_BIT) === 0;
      },
      get size() {
        return journal.#completed;
      },
    };
  }

  append(entry: JournalEntry): boolean {
    if (this.#error !== undefined) throw this.#error;
    if (this.#closed) throw new Error(`the journal ${this.path} is closed`);
    checkEntry(entry);
    const { slot, inserted } = this.#index.insert(entry.id);
    if (!inserted) {
      const word = this.#index.get(slot, 0);
      if ((word & FAILED_BIT) === 0) return false;
      this.#failed--;
    }
    this.#sequence++;
    const failed = entry.state === "failed";
    this.#index.set(slot, 0, (this.#sequence & SEQUENCE_MASK) | (failed ? FAILED_BIT : 0));
    this.#index.set(slot, 1, hashPrefix(entry.rowHash));
    if (failed) this.#failed++;
    else this.#completed++;
    this.#pending.push(entry);
    this.#pendingText.push(serializeEntry(entry));
    if (this.#pending.length >= this.#maxBatch) void this.#startWrite();
    else this.#armTimer();
    return true;
  }

  async flush(): Promise<void> {
    this.#disarmTimer();
    await this.#startWrite();
    if (this.#error !== undefined) throw this.#error;
  }

  onFlush(listener: FlushListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async *entries(options: JournalEntriesOptions = {}): AsyncGenerator<JournalEntry> {
    await this.flush();
    const latest = options.latest ?? true;
    const isLatest = (entry: JournalEntry, sequence: number) =>
      !latest || (this.#index.get(this.#index.find(entry.id), 0) & SEQUENCE_MASK) === sequence;
    if ((options.order ?? "journal") === "journal") {
      for await (const { entry, sequence } of readEntries(this.path, options.signal))
        if (isLatest(entry, sequence)) yield entry;
      return;
    }
    yield* readInInputOrder(this.path, isLatest, options.signal);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      await this.#handle.close().catch(() => undefined);
      await this.#lock.release();
    }
  }

  #armTimer(): void {
    if (this.#timer) return;
    const timer = new AbortController();
    this.#timer = timer;
    this.#clock.sleep(this.#flushIntervalMs, timer.signal).then(
      () => {
        if (this.#timer === timer) this.#timer = undefined;
        void this.#startWrite();
      },
      () => undefined,
    );
  }

  #disarmTimer(): void {
    this.#timer?.abort();
    this.#timer = undefined;
  }

  /**
   * Writes the pending batch, one write at a time: entries appended while a write is in progress
   * wait in `#pending` and all go in the next write. (Queuing one write per timer tick instead let
   * a busy event loop — a million-record run at full speed — build a backlog of batches, each
   * holding its entries, and memory grew with the run.) Resolves when everything pending at the
   * call is in the file. Never rejects: a write error is kept and thrown by the next `append`,
   * `flush` or `close`.
   */
  #startWrite(): Promise<void> {
    if (this.#pending.length === 0) return this.#writing;
    this.#disarmTimer();
    if (this.#writeInProgress) {
      this.#writeAgain ??= this.#writing.then(() => {
        this.#writeAgain = undefined;
        return this.#startWrite();
      });
      return this.#writeAgain;
    }
    const entries = this.#pending;
    const text = this.#pendingText.join("");
    this.#pending = [];
    this.#pendingText = [];
    this.#writeInProgress = true;
    this.#writing = (async () => {
      try {
        if (this.#error !== undefined) return;
        await writeAll(this.#handle, Buffer.from(text));
        if (this.#durable) await this.#handle.datasync();
        for (const listener of this.#listeners) await listener(entries);
      } catch (error) {
        this.#error = error;
      } finally {
        this.#writeInProgress = false;
      }
    })();
    return this.#writing;
  }
}

/** What reading an existing journal found. */
interface JournalScan {
  readonly header: JournalHeader | undefined;
  readonly index: IdIndex;
  readonly sequence: number;
  readonly completed: number;
  readonly failed: number;
}

async function scanJournal(path: string): Promise<JournalScan> {
  const index = new IdIndex({ words: 2, expected: 4096 });
  let header: JournalHeader | undefined;
  let sequence = 0;
  let completed = 0;
  let failed = 0;
  if (!(await exists(path))) return { header, index, sequence, completed, failed };

  // A bad line is only known to be a torn tail once nothing follows it.
  let bad: { offset: number; number: number; reason: string } | undefined;
  for await (const line of readLines(path)) {
    if (bad !== undefined)
      throw new InputError(
        "input.journal-corrupt",
        `the journal has a damaged line that is not its last (${bad.reason}); it cannot be resumed safely`,
        {
          file: path,
          line: bad.number,
          hint: "Run with --fresh to start over (the damaged journal is archived).",
        },
      );
    let value: unknown;
    try {
      value = line.terminated ? JSON.parse(line.text) : undefined;
    } catch {
      value = undefined;
    }
    if (line.number === 1) {
      if (isHeader(value)) {
        header = value;
        continue;
      }
      if (value !== undefined)
        throw new InputError(
          "input.journal-corrupt",
          "the file is not a Quarry journal (no header line)",
          {
            file: path,
            line: 1,
          },
        );
      bad = { offset: line.offset, number: line.number, reason: "an unfinished header" };
      continue;
    }
    if (!isEntry(value)) {
      bad = {
        offset: line.offset,
        number: line.number,
        reason: line.terminated ? "not a journal entry" : "no line end",
      };
      continue;
    }
    sequence++;
    const { slot, inserted } = index.insert(value.id);
    if (!inserted) {
      if ((index.get(slot, 0) & FAILED_BIT) !== 0) failed--;
      else completed--;
    }
    const isFailed = value.state === "failed";
    index.set(slot, 0, (sequence & SEQUENCE_MASK) | (isFailed ? FAILED_BIT : 0));
    index.set(slot, 1, hashPrefix(value.rowHash));
    if (isFailed) failed++;
    else completed++;
  }
  // The torn tail of a batch interrupted by a crash: cut it away so that appends start clean.
  if (bad !== undefined) await truncate(path, bad.offset);
  return { header, index, sequence, completed, failed };
}

async function* readEntries(
  path: string,
  signal?: AbortSignal,
): AsyncGenerator<{ entry: JournalEntry; sequence: number; offset: number; length: number }> {
  let sequence = 0;
  for await (const line of readLines(path, { signal })) {
    if (line.number === 1 || !line.terminated) continue;
    const entry = JSON.parse(line.text) as JournalEntry;
    sequence++;
    yield { entry, sequence, offset: line.offset, length: line.length };
  }
}

/**
 * Entries by input row without holding them: a first pass notes where each latest entry is
 * (row, offset, length: 16 bytes each), a sort orders the notes by row, and a second pass reads
 * each line back by position through a 1 MiB window — nearly sequential, since records mostly
 * finish in input order.
 */
async function* readInInputOrder(
  path: string,
  isLatest: (entry: JournalEntry, sequence: number) => boolean,
  signal?: AbortSignal,
): AsyncGenerator<JournalEntry> {
  let count = 0;
  let rows = new Uint32Array(1024);
  let offsets = new Float64Array(1024);
  let lengths = new Uint32Array(1024);
  for await (const { entry, sequence, offset, length } of readEntries(path, signal)) {
    if (!isLatest(entry, sequence)) continue;
    if (count === rows.length) {
      rows = grow(rows, new Uint32Array(count * 2));
      offsets = grow(offsets, new Float64Array(count * 2));
      lengths = grow(lengths, new Uint32Array(count * 2));
    }
    rows[count] = entry.rowNumber;
    offsets[count] = offset;
    lengths[count] = length;
    count++;
  }
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  order.sort((a, b) => rows[a]! - rows[b]! || offsets[a]! - offsets[b]!);

  const handle = await open(path, "r");
  try {
    const window = 1024 * 1024;
    let buffer = Buffer.alloc(window);
    let bufferStart = 0;
    let bufferEnd = 0;
    for (let index = 0; index < count; index++) {
      signal?.throwIfAborted();
      const at = order[index]!;
      const offset = offsets[at]!;
      const length = lengths[at]!;
      if (offset < bufferStart || offset + length > bufferEnd) {
        if (length > buffer.length) buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        bufferStart = offset;
        bufferEnd = offset + bytesRead;
      }
      const start = offset - bufferStart;
      yield JSON.parse(buffer.toString("utf8", start, start + length)) as JournalEntry;
    }
  } finally {
    await handle.close();
  }
}

function grow<T extends Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * A journal in memory, for runs that need no resume (a library call without an output file)
 * and for tests. Same rules as the file journal: a completed id is never replaced.
 */
export class MemoryJournal implements JournalStore {
  readonly header: JournalHeader;
  readonly #entries: JournalEntry[] = [];
  readonly #latest = new Map<string, { entry: JournalEntry; sequence: number }>();
  readonly #listeners = new Set<FlushListener>();
  #pending: JournalEntry[] = [];
  readonly #retryFailed: boolean;

  constructor(fingerprint: JobFingerprint, options: { readonly retryFailed?: boolean } = {}) {
    this.header = {
      type: "quarry-journal",
      version: 1,
      createdOn: new Date().toISOString(),
      fingerprint,
    };
    this.#retryFailed = options.retryFailed ?? false;
  }

  get counts(): { readonly completed: number; readonly failed: number } {
    let completed = 0;
    for (const { entry } of this.#latest.values()) if (entry.state === "completed") completed++;
    return { completed, failed: this.#latest.size - completed };
  }

  check(record: JournalLookup): JournalState | undefined {
    const found = this.#latest.get(record.id)?.entry;
    if (!found || (found.state === "failed" && this.#retryFailed)) return undefined;
    if (found.rowHash !== record.rowHash)
      throw new InputError(
        "input.row-changed",
        `the input row changed since record "${record.id}" was journaled`,
        {
          file: record.file,
          row: record.rowNumber,
          line: record.line,
          recordId: record.id,
        },
      );
    return found.state;
  }

  stateOf(id: string): JournalState | undefined {
    return this.#latest.get(id)?.entry.state;
  }

  completedIds(): ReadonlyIdSet {
    const latest = this.#latest;
    return {
      has: (id) => latest.get(id)?.entry.state === "completed",
      get size() {
        let size = 0;
        for (const { entry } of latest.values()) if (entry.state === "completed") size++;
        return size;
      },
    };
  }

  append(entry: JournalEntry): boolean {
    checkEntry(entry);
    if (this.#latest.get(entry.id)?.entry.state === "completed") return false;
    this.#entries.push(entry);
    this.#latest.set(entry.id, { entry, sequence: this.#entries.length });
    this.#pending.push(entry);
    return true;
  }

  async flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) for (const listener of this.#listeners) await listener(batch);
  }

  onFlush(listener: FlushListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async *entries(options: JournalEntriesOptions = {}): AsyncGenerator<JournalEntry> {
    await this.flush();
    const latest = options.latest ?? true;
    let chosen = this.#entries.filter(
      (entry, index) => !latest || this.#latest.get(entry.id)?.sequence === index + 1,
    );
    if (options.order === "input") chosen = [...chosen].sort((a, b) => a.rowNumber - b.rowNumber);
    yield* chosen;
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

function checkEntry(entry: JournalEntry): void {
  if (typeof entry.id !== "string" || entry.id === "")
    throw new TypeError(
      `a journal entry needs a non-empty string id, got ${JSON.stringify(entry.id)}`,
    );
  if (entry.state !== "completed" && entry.state !== "failed")
    throw new TypeError(
      `a journal entry's state must be "completed" or "failed", got ${JSON.stringify(entry.state)}`,
    );
  if (!Number.isInteger(entry.rowNumber) || entry.rowNumber < 1)
    throw new TypeError(
      `a journal entry's rowNumber must be a whole number ≥ 1, got ${String(entry.rowNumber)}`,
    );
  if (typeof entry.rowHash !== "string" || !/^[0-9a-f]{8,}$/.test(entry.rowHash))
    throw new TypeError(
      `a journal entry's rowHash must be hex (from rowHash()), got ${JSON.stringify(entry.rowHash)}`,
    );
}

/** One line, fields in a fixed order so journals read alike. */
function serializeEntry(entry: JournalEntry): string {
  const ordered: Record<string, unknown> = {
    id: entry.id,
    rowNumber: entry.rowNumber,
    line: entry.line,
    state: entry.state,
    attemptsMade: entry.attemptsMade,
    finishedOn: entry.finishedOn,
    rowHash: entry.rowHash,
  };
  for (const [key, value] of Object.entries(entry)) if (!(key in ordered)) ordered[key] = value;
  return `${JSON.stringify(ordered)}\n`;
}

function isHeader(value: unknown): value is JournalHeader {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { type?: unknown }).type === "quarry-journal" &&
    typeof (value as { fingerprint?: unknown }).fingerprint === "object"
  );
}

function isEntry(value: unknown): value is JournalEntry {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Partial<JournalEntry>;
  return (
    typeof entry.id === "string" &&
    typeof entry.rowHash === "string" &&
    typeof entry.rowNumber === "number" &&
    (entry.state === "completed" || entry.state === "failed")
  );
}

function hashPrefix(rowHash: string): number {
  return Number.parseInt(rowHash.slice(0, 8), 16) >>> 0;
}

async function writeAll(handle: FileHandle, buffer: Buffer): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
    written += bytesWritten;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return false;
    throw error;
  }
}

async function archiveJournal(path: string, folder: string): Promise<string | undefined> {
  if (!(await exists(path))) return undefined;
  await mkdir(folder, { recursive: true });
  const stamp = new Date().toISOString().replaceAll(":", "-");
  const target = join(folder, `${basename(path, ".jsonl")}.${stamp}.jsonl`);
  await rename(path, target);
  return target;
}

function jobChangedError(
  path: string,
  header: JournalHeader,
  scan: JournalScan,
  changes: readonly string[],
): InputError {
  return new InputError(
    "input.job-changed",
    `the job changed since its journal was started on ${header.createdOn} (${scan.completed} completed, ${scan.failed} failed): ${changes.join("; ")}`,
    {
      file: path,
      model: header.fingerprint.model,
      hint: "Undo the change to resume, or run with --fresh to start over (the old journal is archived, not deleted).",
    },
  );
}
