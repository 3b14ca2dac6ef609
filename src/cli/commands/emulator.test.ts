import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import type { CommandIo } from "../command-table.js";
import { run } from "./emulator.js";

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const READY = /^Quarry Bedrock emulator listening on http:\/\/127\.0\.0\.1:(\d+)\n$/;
const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const folder = mkdtempSync(join(tmpdir(), "quarry-cli-emulator-"));

interface RunningCli {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first complete line of stdout (or rejects if the process exits first). */
  readonly firstLine: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the TypeScript entry point (the built `dist/` may be stale) as a user would run the CLI. */
function quarry(...args: string[]): RunningCli {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/bin.ts", ...args], {
    cwd: REPOSITORY,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  const firstLine = new Promise<string>((done, fail) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const end = out.indexOf("\n");
      if (end >= 0) done(out.slice(0, end + 1));
    });
    exited.then(() => fail(new Error(`quarry exited before printing a line; stderr: ${err}`)));
  });
  firstLine.catch(() => {});
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  return { child, stdout: () => out, stderr: () => err, firstLine, exited };
}

async function askModel(url: string, text: string): Promise<any> {
  const client = runtimeClient(url);
  try {
    const response = await client.send(
      new InvokeModelCommand({
        modelId: HAIKU,
        body: JSON.stringify({
          anthropic_version: "bedrock-2023-05-31",
          max_tokens: 30,
          messages: [{ role: "user", content: text }],
        }),
      }),
    );
    return jsonBody(response.body);
  } finally {
    client.destroy();
  }
}

describe("quarry emulator (as a child process)", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it.concurrent(`prints one ready line, serves the SDK with --config, and exits cleanly on ${signal}`, async () => {
      const config = join(folder, `${signal}.yaml`);
      writeFileSync(
        config,
        [
          "region: eu-central-1",
          "responder:",
          "  script:",
          "    - pattern: 'capital of (\\w+)'",
          "      reply: 'The capital of $1 is on the map.'",
          "",
        ].join("\n"),
      );
      const cli = quarry("emulator", "--port", "0", "--config", config, "--seed", "77");
      try {
        const line = await cli.firstLine;
        const port = Number(READY.exec(line)?.[1]);
        expect(line).toMatch(READY);
        const url = `http://127.0.0.1:${port}`;

        const reply = await askModel(url, "What is the capital of Peru?");
        expect(reply.content[0].text).toBe("The capital of Peru is on the map.");
        const shown: any = await (await fetch(`${url}/_quarry/config`)).json();
        expect(shown.region).toBe("eu-central-1");
        expect(shown.seed).toBe(77);

        cli.child.kill(signal);
        expect(await cli.exited).toEqual({ code: 0, signal: null });
        expect(cli.stdout()).toBe(line);
        expect(cli.stderr()).toBe("");
      } finally {
        cli.child.kill("SIGKILL");
      }
    });
  }

  it.concurrent("refuses a bad config file, naming the file and field, without a stack trace", async () => {
    const config = join(folder, "bad.yaml");
    writeFileSync(config, "limits:\n  maxBodyBytes: lots\n");
    const cli = quarry("emulator", "--port", "0", "--config", config);
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.stdout()).toBe("");
    expect(cli.stderr()).toContain(
      `quarry: Invalid emulator config ${config}: limits.maxBodyBytes`,
    );
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
  });

  it.concurrent("says so when the port is taken", async () => {
    const blocker = net.createServer();
    await new Promise<void>((done) => blocker.listen(0, "127.0.0.1", done));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const cli = quarry("emulator", "--port", String(taken));
      const { code } = await cli.exited;
      expect(code).toBe(1);
      expect(cli.stderr()).toContain(
        `quarry: Cannot listen on 127.0.0.1:${taken}: the port is in use`,
      );
      expect(cli.stderr()).toContain("--port 0");
      expect(cli.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it.concurrent("treats a bad --port or --seed as a usage error (exit 2)", async () => {
    const badPort = quarry("emulator", "--port", "70000");
    const badSeed = quarry("emulator", "--port", "0", "--seed", "soon");
    expect((await badPort.exited).code).toBe(2);
    expect(badPort.stderr()).toContain('--port expects a port number from 0 to 65535, got "70000"');
    expect((await badSeed.exited).code).toBe(2);
    expect(badSeed.stderr()).toContain('--seed expects an integer, got "soon"');
  });
});

describe("the emulator command called directly", () => {
  it("returns 0 once its signal aborts, after closing the emulator", async () => {
    const stdout = new PassThrough();
    let written = "";
    stdout.on("data", (chunk: Buffer) => {
      written += chunk.toString("utf8");
    });
    const controller = new AbortController();
    const io: CommandIo = { stdout, stderr: new PassThrough(), signal: controller.signal };
    const running = run([], { port: "0", host: "127.0.0.1", seed: "3" }, io);
    while (!written.includes("\n")) await new Promise((done) => stdout.once("data", done));
    const url = READY.exec(written)![0].trim().split(" ").at(-1)!;
    expect((await askModel(url, "Hello?")).type).toBe("message");
    controller.abort();
    expect(await running).toBe(0);
    const refused = await fetch(`${url}/_quarry/health`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
  });
});
