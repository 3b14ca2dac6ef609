import { QuarryError } from "../../errors/quarry-error.js";
import type { CommandRunner } from "../command-table.js";
import { parsePort } from "../parse-options.js";

/** `quarry emulator`: serves until interrupted; prints one line with the URL once ready. */
export const run: CommandRunner = async (_args, options, io) => {
  const port = parsePort(options.port);
  const host = String(options.host ?? "127.0.0.1");
  const seed = options.seed === undefined ? undefined : Number(options.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed))
    throw new QuarryError(
      "cli.usage",
      `--seed expects an integer, got ${JSON.stringify(options.seed)}`,
    );
  // Loaded only after the options check out, so a usage error answers at once.
  const { startEmulator } = await import("../../emulator/start-emulator.js");
  const emulator = await startEmulator({
    port,
    host,
    ...(options.config ? { configFile: String(options.config) } : {}),
    ...(seed !== undefined ? { config: { seed } } : {}),
  }).catch((error: unknown) => {
    throw listenError(error, host, port);
  });
  io.stdout.write(`Quarry Bedrock emulator listening on ${emulator.url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await emulator.close();
  return 0;
};

/** A socket error from listening, as a message the user can act on. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === "EADDRINUSE")
    return new QuarryError("emulator.listen", `Cannot listen on ${where}: the port is in use`, {
      cause: error,
      hint: "Pick another --port, or --port 0 for a free one.",
    });
  if (code === "EACCES")
    return new QuarryError("emulator.listen", `Cannot listen on ${where}: permission denied`, {
      cause: error,
      hint: "Ports below 1024 need privileges; pick a higher --port.",
    });
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
    return new QuarryError("emulator.listen", `Cannot listen on ${where}: no such local address`, {
      cause: error,
      hint: "Give --host an address of this machine, such as 127.0.0.1.",
    });
  return error;
}
