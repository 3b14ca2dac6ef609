/**
 * Memory of a job's input side on a large dataset: streams a generated CSV through the dataset
 * reader (ids from a column, so the duplicate index is on), the seed's prompt template and the row
 * hash, and reports peak RSS. Also compares a `Set<string>` of the ids with `IdIndex`, and
 * (with `--journal`) journals every row and writes the CSV output in input order from the journal.
 *
 * Each measurement runs in its own process, so that one's peak does not hide another's.
 *
 *   node --expose-gc --import tsx bench/jobs-memory.ts [rows] [--journal]
 *
 * The goal (SPEC §3): under 300 MB peak RSS on 1,000,000 rows.
 */
import { spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readDataset } from "../src/jobs/dataset-reader.js";
import { jobFingerprint, rowHash } from "../src/jobs/fingerprint.js";
import { IdIndex } from "../src/jobs/id-index.js";
import { FileJournal, journalPaths } from "../src/jobs/journal.js";
import { writeOutputFromJournal } from "../src/jobs/output-writer.js";
import { PromptTemplate } from "../src/jobs/prompt-template.js";

const SEED_TEMPLATE = `Act as a flower expert. I need you to give me information on the state flower of {state_name}. The response should be in json and in this format:

{
"state": "state_name",
"flower": "flower_name",
"color": "flower_color"
}

Do not give any additional information even if I am wrong.
`;

type Mode = "baseline" | "stream" | "set" | "index" | "journal";

interface Measurement {
  readonly mode: Mode;
  readonly rows: number;
  readonly peakRssMb: number;
  readonly heapUsedMb?: number;
  readonly bytesPerId?: number;
  readonly seconds: number;
  readonly note?: string;
}

function idOf(row: number): string {
  return `SKU-${(row * 2654435761) % 4294967296}-${row}`;
}

async function generateCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write("sku,state_name,notes\n");
  for (let row = 1; row <= rows; row++) {
    const line = `${idOf(row)},State ${row % 50},"free text, with a comma and ""quotes"" ${row}"\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

function peakRssMb(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function heapUsedMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function measure(mode: Mode, rows: number, file: string): Promise<Measurement> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  if (mode === "baseline") {
    // The same process with its modules loaded and nothing read: what the others are over.
    return {
      mode,
      rows: 0,
      peakRssMb: peakRssMb(),
      seconds: seconds(),
      note: "node + tsx + modules",
    };
  }
  if (mode === "stream") {
    const template = new PromptTemplate(SEED_TEMPLATE);
    let characters = 0;
    let count = 0;
    for await (const record of readDataset({ file, idColumn: "sku" })) {
      characters += template.render(record.fields, { file, rowNumber: record.rowNumber }).length;
      rowHash(record.id, record.fields);
      count++;
    }
    if (count !== rows) throw new Error(`read ${count} rows, expected ${rows}`);
    return {
      mode,
      rows,
      peakRssMb: peakRssMb(),
      seconds: seconds(),
      note: `${characters} prompt characters rendered`,
    };
  }
  if (mode === "set" || mode === "index") {
    const before = heapUsedMb();
    const rssBefore = process.memoryUsage().rss;
    const holder: { set?: Set<string>; index?: IdIndex } = {};
    if (mode === "set") {
      holder.set = new Set<string>();
      for (let row = 1; row <= rows; row++) holder.set.add(idOf(row));
    } else {
      holder.index = new IdIndex({ words: 1 });
      for (let row = 1; row <= rows; row++)
        holder.index.set(holder.index.insert(idOf(row)).slot, 0, row);
    }
    // The index's typed arrays live outside the JS heap; RSS growth counts both.
    const heap = heapUsedMb() - before;
    const grown = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    const size = holder.set?.size ?? holder.index?.size ?? 0;
    const external = holder.index ? holder.index.byteLength / 1024 / 1024 : 0;
    return {
      mode,
      rows: size,
      peakRssMb: peakRssMb(),
      heapUsedMb: Math.round(heap + external),
      bytesPerId: Math.round(((heap + external) * 1024 * 1024) / size),
      seconds: seconds(),
      note: `RSS grew ${Math.round(grown)} MB`,
    };
  }
  // journal: every row journaled as completed, then the CSV output in input order.
  const output = join(file, "..", "results.csv");
  const paths = journalPaths(output);
  const journal = await FileJournal.open({
    path: paths.journal,
    lockPath: paths.lock,
    fingerprint: jobFingerprint({ model: "m", api: "converse", template: SEED_TEMPLATE }),
    flushIntervalMs: 50,
  });
  let count = 0;
  for await (const record of readDataset({ file, idColumn: "sku" })) {
    journal.append({
      id: record.id,
      rowNumber: record.rowNumber,
      state: "completed",
      rowHash: rowHash(record.id, record.fields),
      attemptsMade: 1,
      finishedOn: Date.now(),
      result: { state: record.fields.state_name, flower: "Camellia", color: "Red" },
      carry: { state_name: record.fields.state_name },
    });
    // Let the timer's flushes run, as a live run would between replies.
    if (++count % 5000 === 0) await journal.flush();
  }
  const written = await writeOutputFromJournal({ path: output, journal });
  await journal.close();
  const journalMb = Math.round((await stat(paths.journal)).size / 1024 / 1024);
  return {
    mode,
    rows: written,
    peakRssMb: peakRssMb(),
    seconds: seconds(),
    note: `journal ${journalMb} MB; CSV written in input order from it`,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const childMode = process.env.QUARRY_BENCH_MODE as Mode | undefined;
  const rows = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
  if (childMode) {
    const result = await measure(childMode, rows, process.env.QUARRY_BENCH_FILE!);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const folder = await mkdtemp(join(tmpdir(), "quarry-jobs-memory-"));
  try {
    const file = join(folder, "input.csv");
    await generateCsv(file, rows);
    const sizeMb = Math.round((await stat(file)).size / 1024 / 1024);
    console.log(`input: ${rows} rows, ${sizeMb} MB CSV (${file})`);
    const modes: Mode[] = ["baseline", "stream", "set", "index"];
    if (args.includes("--journal")) modes.push("journal");
    for (const mode of modes) {
      const child = spawnSync(
        process.execPath,
        ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), String(rows)],
        {
          env: { ...process.env, QUARRY_BENCH_MODE: mode, QUARRY_BENCH_FILE: file },
          encoding: "utf8",
          maxBuffer: 1024 * 1024,
        },
      );
      if (child.status !== 0) throw new Error(`${mode} failed: ${child.stderr}`);
      const result = JSON.parse(child.stdout.trim().split("\n").pop()!) as Measurement;
      console.log(
        [
          `${mode.padEnd(8)} peak RSS ${String(result.peakRssMb).padStart(4)} MB`,
          result.bytesPerId === undefined
            ? ""
            : `ids ${result.heapUsedMb} MB = ${result.bytesPerId} B/id`,
          `${result.seconds} s`,
          result.note ?? "",
        ]
          .filter(Boolean)
          .join("  "),
      );
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

await main();
