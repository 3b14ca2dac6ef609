import type { CommandRunner } from "../command-table.js";
import { parsePort } from "../parse-options.js";

/** `quarry emulator`: serves until interrupted; prints one line with the URL once ready. */
export const run: CommandRunner = async (_args, options, io) => {
  const { startEmulator } = await import("../../emulator/start-emulator.js");
  const seed = options.seed === undefined ? undefined : Number(options.seed);
  const emulator = await startEmulator({
    port: parsePort(options.port),
    host: String(options.host ?? "127.0.0.1"),
    ...(options.config ? { configFile: String(options.config) } : {}),
    ...(seed !== undefined && Number.isInteger(seed) ? { config: { seed } } : {}),
  });
  io.stdout.write(`Quarry Bedrock emulator listening on ${emulator.url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await emulator.close();
  return 0;
};
