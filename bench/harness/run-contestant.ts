import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildReport, StartMessage } from "./contestant-child.js";

const CHILD = fileURLToPath(new URL("./contestant-child.ts", import.meta.url));

/** The environment without AWS or Bedrock settings that would steer a peer's SDK elsewhere. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AWS_|BEDROCK_)/.test(key) && key !== "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED")
      continue;
    environment[key] = value;
  }
  environment.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  return environment;
}

/**
 * Runs one contestant in a child process: starts it, calls `beforeGo` once its modules are
 * loaded (the emulator is reset there, so the quota's schedule starts with the run), and
 * returns its report.
 */
export async function runContestant(
  start: StartMessage,
  beforeGo: () => Promise<void>,
): Promise<ChildReport> {
  const child = fork(CHILD, [], {
    execArgv: ["--import", "tsx"],
    env: cleanEnvironment(),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  // A contestant that hangs past its deadline and grace is ended.
  const hardStop = setTimeout(() => child.kill("SIGKILL"), start.run.deadlineMs + 60_000);
  try {
    const report = await new Promise<ChildReport>((resolve, reject) => {
      child.on("message", (message: { type: string }) => {
        if (message.type === "ready") {
          beforeGo().then(
            () => child.send({ type: "go" }),
            (error: unknown) => reject(error),
          );
        } else if (message.type === "done") {
          resolve(message as ChildReport);
        }
      });
      child.once("exit", (code) =>
        reject(new Error(`contestant ${start.contestant} exited without a report (code ${code})`)),
      );
      child.once("error", reject);
      child.send(start);
    });
    await exited;
    return report;
  } finally {
    clearTimeout(hardStop);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}
