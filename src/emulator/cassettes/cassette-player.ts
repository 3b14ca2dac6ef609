import { readFile } from "node:fs/promises";
import { awsErrors } from "../emulator-error.js";
import { type CassetteEntry, entryProblem } from "./cassette-entry.js";
import { keyString, type RequestKey } from "./request-key.js";

/**
 * Serves recorded exchanges by request key. A key recorded several times (the same prompt sent
 * twice) replays its recordings in order, then repeats the last one.
 */
export class CassettePlayer {
  readonly #entries: Map<string, CassetteEntry[]>;
  readonly #served = new Map<string, number>();

  constructor(entries: readonly CassetteEntry[]) {
    this.#entries = new Map();
    for (const entry of entries) {
      const key = keyString(entry.key);
      const list = this.#entries.get(key);
      if (list) list.push(entry);
      else this.#entries.set(key, [entry]);
    }
  }

  /** Reads a cassette file; a bad line is an error naming the file and the line. */
  static async load(path: string, signal?: AbortSignal): Promise<CassettePlayer> {
    let text: string;
    try {
      text = await readFile(path, { encoding: "utf8", ...(signal ? { signal } : {}) });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw awsErrors.internal(
        code === "ENOENT"
          ? `Cassette ${path} does not exist: record it first (responder.cassette.mode "record").`
          : `Cassette ${path} cannot be read: ${(cause as Error).message}`,
      );
    }
    const entries: CassetteEntry[] = [];
    const lines = text.split("\n");
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index]!.trim();
      if (!line) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw awsErrors.internal(`Cassette ${path} line ${index + 1} is not valid JSON.`);
      }
      const problem = entryProblem(value);
      if (problem) throw awsErrors.internal(`Cassette ${path} line ${index + 1}: ${problem}.`);
      entries.push(value as CassetteEntry);
    }
    return new CassettePlayer(entries);
  }

  /** The number of recorded exchanges. */
  get size(): number {
    let size = 0;
    for (const list of this.#entries.values()) size += list.length;
    return size;
  }

  /** The next recording for a key, or undefined when the cassette has none. */
  take(key: RequestKey): CassetteEntry | undefined {
    const id = keyString(key);
    const list = this.#entries.get(id);
    if (!list) return undefined;
    const served = this.#served.get(id) ?? 0;
    this.#served.set(id, served + 1);
    return list[Math.min(served, list.length - 1)];
  }
}
