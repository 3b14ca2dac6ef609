// Prints where a V8 CPU profile (`node --cpu-prof`) spent its time: self time by function and
// by file, heaviest first. Used to find the emulator's hot path:
//
//   npx tsx bench/emulator-throughput.ts --scenarios http1 --cpu-prof /tmp/quarry-prof
//   npx tsx bench/emulator/summarize-cpu-profile.ts /tmp/quarry-prof/<file>.cpuprofile [top]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, topText = "30"] = process.argv.slice(2);
if (!file) throw new Error("usage: summarize-cpu-profile.ts <file.cpuprofile> [top]");
const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[] };
const top = Number(topText);

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0) continue;
  total += hits;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "~/");
  const shortFile = where.replace(/^.*\/work\/main\//, "") || "(native)";
  const name = `${functionName || "(anonymous)"} ${shortFile}:${lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
  byFile.set(shortFile, (byFile.get(shortFile) ?? 0) + hits);
}

function print(title: string, counts: Map<string, number>): void {
  console.log(`\n${title}`);
  for (const [name, hits] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`);
}
print("self time by function", byFunction);
print("self time by file", byFile);
