import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FileLine, readLines } from "./read-lines.js";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "quarry-lines-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function linesOf(text: string, highWaterMark?: number): Promise<FileLine[]> {
  const path = join(folder, `f-${Math.random()}`);
  await writeFile(path, text);
  const lines: FileLine[] = [];
  for await (const line of readLines(path, { highWaterMark })) lines.push(line);
  return lines;
}

describe("readLines", () => {
  it("gives each line's text, number, byte offset and length, across tiny chunks", async () => {
    for (const highWaterMark of [undefined, 1, 3]) {
      const lines = await linesOf("ab\r\né\n\nlast", highWaterMark);
      expect(lines).toEqual([
        { text: "ab", number: 1, offset: 0, length: 4, terminated: true },
        { text: "é", number: 2, offset: 4, length: 3, terminated: true },
        { text: "", number: 3, offset: 7, length: 1, terminated: true },
        { text: "last", number: 4, offset: 8, length: 4, terminated: false },
      ]);
    }
  });

  it("reads an empty file as no lines", async () => {
    expect(await linesOf("")).toEqual([]);
  });
});
