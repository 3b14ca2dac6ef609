// Test helper: reads a fixture from `__fixtures__/`, dropping our own `_`-prefixed keys.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const directory = fileURLToPath(new URL("./__fixtures__/", import.meta.url));

/** A JSON fixture without its `_source`/`_note` keys. */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are free-form JSON read by tests.
export function readFixture(name: string): any {
  const value = JSON.parse(readFileSync(directory + name, "utf8"));
  for (const key of Object.keys(value)) if (key.startsWith("_")) delete value[key];
  return value;
}

/** A `.chunks.txt` stream fixture: one decoded chunk (JSON) per line. */
export function readChunks(name: string): unknown[] {
  return readFileSync(directory + name, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
