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

/** The commands, declared in one table. */
export const COMMANDS: readonly CommandSpec[] = [
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
