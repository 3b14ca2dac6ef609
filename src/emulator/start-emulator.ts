import type { AddressInfo } from "node:net";
import type { Clock } from "../clock/clock.js";
import { systemClock } from "../clock/system-clock.js";
import { authGuard } from "./auth/auth-guard.js";
import { withCassettes } from "./cassettes/with-cassettes.js";
import type { EmulatorConfig, EmulatorConfigInput } from "./config/emulator-config.js";
import { loadEmulatorConfigFile, parseEmulatorConfig } from "./config/parse-emulator-config.js";
import { ALL_OPERATIONS } from "./operations/all-operations.js";
import { createDualProtocolServer } from "./server/dual-protocol-server.js";
import { Router } from "./server/router.js";
import { EmulatorState } from "./state/emulator-state.js";
import type { StatsSnapshot } from "./state/emulator-stats.js";

/** Options for `startEmulator`. */
export interface StartEmulatorOptions {
  /**
   * Port to listen on; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to bind. Loopback unless told otherwise: the emulator has no business on a network.
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /** Configuration (quotas, latency, faults, responders, ...), merged over the defaults. */
  readonly config?: EmulatorConfigInput;
  /** A YAML or JSON config file, read before `config` is applied on top. */
  readonly configFile?: string;
  /**
   * The clock that paces latency and refills quotas; tests pass a manual clock.
   * @default the system clock
   */
  readonly clock?: Clock;
}

/** A running emulator. */
export interface Emulator {
  /** `http://127.0.0.1:PORT`: give it to an AWS SDK client as `endpoint`. */
  readonly url: string;
  readonly port: number;
  /** The configuration in force. */
  readonly config: EmulatorConfig;
  /** Changes the configuration while running (objects merge, arrays replace). */
  configure(change: EmulatorConfigInput): EmulatorConfig;
  /** A snapshot of the statistics. */
  stats(): StatsSnapshot;
  /** Clears statistics, quota usage and the prompt cache; seeded randomness starts over. */
  reset(): void;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** Starts a Bedrock emulator that the real AWS SDK can talk to. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const base = options.configFile
    ? await loadEmulatorConfigFile(options.configFile)
    : parseEmulatorConfig({});
  const state = new EmulatorState(base, options.clock ?? systemClock);
  if (options.config) state.configure(options.config);

  const router = new Router(withCassettes(ALL_OPERATIONS), () => state, [authGuard]);
  const { server, destroyConnections } = createDualProtocolServer(router.listener);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    get config() {
      return state.config;
    },
    configure: (change) => state.configure(change),
    stats: () => state.stats.snapshot(),
    reset: () => state.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        destroyConnections();
      }),
  };
}
