// The emulator as a child process of the throughput benchmark, so that the load generator and
// the server each get a core of their own. It starts the emulator on a free loopback port,
// tells the parent the URL over the IPC channel, and exits (writing a CPU profile when started
// with --cpu-prof) when the parent says "stop" or goes away.
import { startEmulator } from "../../src/emulator/start-emulator.js";

const config = process.env.QUARRY_BENCH_EMULATOR_CONFIG
  ? JSON.parse(process.env.QUARRY_BENCH_EMULATOR_CONFIG)
  : {};
const emulator = await startEmulator({ port: 0, config });

async function stop(): Promise<void> {
  await emulator.close();
  // process.exit (rather than letting the loop drain) is what makes --cpu-prof write its file
  // even while keep-alive sockets of a dying parent linger.
  process.exit(0);
}

process.on("message", (message) => {
  if (message === "stop") void stop();
});
process.on("disconnect", () => void stop());
process.send?.({ url: emulator.url });
