/** One option of a command, as the CLI parser declares it. */
export interface OptionSpec {
  /** Commander flags, e.g. `--port <n>`. */
  readonly flags: string;
  readonly description: string;
  readonly defaultValue?: string | boolean;
}

/** One command: its words, options, and a lazy import of its implementation. */
export interface CommandSpec {
  readonly name: string;
  /** Positional arguments in Commander syntax, e.g. `<job>`. */
  readonly arguments?: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  /** Loads the command's module only when it runs, so start-up stays fast. */
  readonly load: () => Promise<{ run: CommandRunner }>;
}

/** How the CLI calls a command: positional arguments and parsed options; returns an exit code. */
export type CommandRunner = (
  args: readonly string[],
  options: Readonly<Record<string, unknown>>,
  io: CommandIo,
) => Promise<number>;

/** Where a command writes; tests pass their own. */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborts on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
}

// Flags `run` and `estimate` share: they override the job file.
const JOB_OVERRIDES: readonly OptionSpec[] = [
  { flags: "--endpoint <url>", description: '"local" (embedded emulator), a URL, or omit for AWS' },
  { flags: "--model <id>", description: "model id, inference profile or ARN" },
  { flags: "--region <region>", description: "AWS region" },
  { flags: "--profile <name>", description: "AWS shared-config profile" },
  { flags: "--rows <n>", description: "only the first N rows" },
  { flags: "--out <file>", description: "output file (.jsonl, .csv or .json)" },
  { flags: "--max-tokens <n>", description: 'max output tokens per call, or "auto"' },
  { flags: "--budget <dollars>", description: "stop before spending more than this" },
  { flags: "--json", description: "machine-readable output on stdout, no progress" },
];

/** The commands, declared in one table. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "run",
    arguments: "<job>",
    summary: "Run a batch job (a job.yaml or a folder holding one): exactly once, resumable",
    options: [
      ...JOB_OVERRIDES,
      { flags: "--dry-run", description: "preflight and estimate only; send nothing" },
      { flags: "--fresh", description: "start over (the old journal is archived)" },
      { flags: "--retry-failed", description: "run again only the records that failed" },
      { flags: "--report <file>", description: "where to write the HTML report" },
      { flags: "--no-report", description: "write no HTML report" },
      { flags: "--progress <mode>", description: 'progress display: "bar", "log" or "none"' },
    ],
    load: () => import("./commands/run.js"),
  },
  {
    name: "estimate",
    arguments: "<job>",
    summary:
      "Check every row and estimate requests, tokens and dollars, without sending anything paid",
    options: JOB_OVERRIDES,
    load: () => import("./commands/estimate.js"),
  },
  {
    name: "status",
    arguments: "<job>",
    summary: "Show how far a job is: completed, failed, pending, and whether it is running",
    options: [
      { flags: "--out <file>", description: "the output file, if the job's was overridden" },
      { flags: "--json", description: "machine-readable output" },
    ],
    load: () => import("./commands/status.js"),
  },
  {
    name: "emulator",
    summary:
      "Serve a local Bedrock endpoint that the AWS SDK, boto3 and the AWS CLI talk to unchanged",
    options: [
      {
        flags: "--port <n>",
        description: "port to listen on (0 picks a free one)",
        defaultValue: "4599",
      },
      { flags: "--host <address>", description: "interface to bind", defaultValue: "127.0.0.1" },
      { flags: "--config <file>", description: "YAML or JSON emulator configuration" },
      { flags: "--seed <n>", description: "seed for faults, jitter and synthetic replies" },
    ],
    load: () => import("./commands/emulator.js"),
  },
];
