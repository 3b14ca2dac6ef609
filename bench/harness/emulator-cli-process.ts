// The emulator as a user starts it: `quarry emulator --port 0 --config <file>` in a child
// process of its own (so that no contestant shares its event loop), driven over its control
// routes (docs/emulator-config.md, Control routes).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

const REPOSITORY = fileURLToPath(new URL("../../", import.meta.url));

/** `GET /_quarry/stats`, the fields the benchmark reads. */
export interface EmulatorStats {
  readonly requests: number;
  readonly byOutcome: Readonly<Record<string, number>>;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly inFlight: number;
}

/** `GET /_quarry/process`. */
export interface EmulatorProcessInfo {
  readonly pid: number;
  readonly peakRssBytes: number;
  readonly cpuUserMicros: number;
  readonly cpuSystemMicros: number;
}

/** A running emulator child. */
export interface EmulatorCli {
  readonly url: string;
  /** Clears statistics and quota usage and restarts the schedule (`POST /_quarry/reset`). */
  reset(): Promise<void>;
  stats(): Promise<EmulatorStats>;
  processInfo(): Promise<EmulatorProcessInfo>;
  /** Sends SIGTERM, waits for the exit and removes the config file. */
  stop(): Promise<void>;
}

/** Writes the config as YAML and starts the emulator's CLI on a free port. */
export async function startEmulatorCli(config: unknown): Promise<EmulatorCli> {
  const folder = await mkdtemp(join(tmpdir(), "quarry-bench-"));
  const configFile = join(folder, "emulator.yaml");
  await writeFile(configFile, stringify(config));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/bin.ts", "emulator", "--port", "0", "--config", configFile],
    { cwd: REPOSITORY, stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let url: string;
  try {
    url = await firstUrl(child);
  } catch (error) {
    child.kill("SIGTERM");
    await exited;
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  // Later output must not fill the pipe and stall the child.
  child.stdout?.resume();
  const control = async <T>(path: string, method = "GET"): Promise<T> => {
    const response = await fetch(`${url}/_quarry/${path}`, { method });
    if (!response.ok)
      throw new Error(`emulator ${method} /_quarry/${path} answered ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    url,
    async reset() {
      await control("reset", "POST");
    },
    stats: () => control<EmulatorStats>("stats"),
    processInfo: () => control<EmulatorProcessInfo>("process"),
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** The URL from the emulator's first line of output. */
function firstUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      child.stdout?.off("data", onData);
      const match = /https?:\/\/\S+/.exec(buffered.slice(0, newline));
      if (match) resolve(match[0]);
      else reject(new Error(`the emulator printed no URL: ${buffered.slice(0, newline)}`));
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the emulator exited early (code ${code})`)));
    child.once("error", reject);
  });
}
