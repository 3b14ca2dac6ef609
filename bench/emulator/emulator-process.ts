import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** An emulator running in a child process. */
export interface EmulatorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Asks the child to exit and waits until it has. */
  stop(): Promise<void>;
}

export interface EmulatorProcessOptions {
  /** Emulator configuration, passed to `startEmulator({ config })`. */
  readonly config?: unknown;
  /** A folder to write a V8 CPU profile of the emulator into (`node --cpu-prof`). */
  readonly cpuProfileDir?: string;
}

const CHILD = fileURLToPath(new URL("./emulator-child.ts", import.meta.url));

/** Starts the emulator in a child Node process (TypeScript loaded by tsx) and waits for its URL. */
export function startEmulatorProcess(
  options: EmulatorProcessOptions = {},
): Promise<EmulatorProcess> {
  const execArgv = ["--import", "tsx"];
  if (options.cpuProfileDir) execArgv.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`);
  const child = fork(CHILD, [], {
    execArgv,
    env: {
      ...process.env,
      QUARRY_BENCH_EMULATOR_CONFIG: JSON.stringify(options.config ?? {}),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`emulator child exited early (code ${code})`)));
    child.once("message", (message: { url?: string }) => {
      if (!message.url) return reject(new Error("emulator child sent no URL"));
      resolve({
        url: message.url,
        child,
        async stop() {
          if (child.connected) child.send("stop");
          await exited;
        },
      });
    });
  });
}
