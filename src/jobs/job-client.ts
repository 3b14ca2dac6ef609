import { Quarry } from "../client/create-quarry.js";
import type { QuarryTarget } from "../client/quarry-options.js";
import type { Clock } from "../clock/clock.js";
import type { SchedulerOptions } from "../resilience/scheduler.js";
import type { JobSpec } from "./job-spec.js";

/** A client for a job, and the embedded emulator behind it when the job says `endpoint: local`. */
export interface JobClient {
  readonly quarry: Quarry;
  /** What the summary and report call the endpoint. */
  readonly endpointLabel: string;
  /** The region calls go to (the first target's, when the job has targets). */
  region(): Promise<string>;
  /** The embedded emulator's URL, when one was started (the first, when one per Region). */
  readonly emulatorUrl: string | undefined;
  close(): Promise<void>;
}

/** Options of `openJobClient`. */
export interface OpenJobClientOptions {
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

// The emulator accepts any credentials unless told to check them; these are obviously fake so
// that nothing real is ever sent to a local endpoint.
const LOCAL_CREDENTIALS = { accessKeyId: "QUARRYLOCAL", secretAccessKey: "quarry-local-emulator" };

/**
 * Makes the job's client: the real AWS endpoint of its region (credentials from the SDK's
 * default chain), any Bedrock-compatible URL, or — for `endpoint: local` — the embedded emulator
 * started in this process with the job's emulator configuration (imported lazily, so real runs
 * never load it).
 */
export async function openJobClient(
  spec: JobSpec,
  options: OpenJobClientOptions = {},
): Promise<JobClient> {
  if (spec.targets) return openTargetsClient(spec, spec.targets, options);
  let endpoint = spec.endpoint;
  let closeEmulator: (() => Promise<void>) | undefined;
  let emulatorUrl: string | undefined;
  if (endpoint === "local") {
    const { startEmulator } = await import("../emulator/start-emulator.js");
    const emulator = await startEmulator({
      port: 0,
      ...(typeof spec.emulator === "string" ? { configFile: spec.emulator } : {}),
      ...(spec.emulator !== undefined && typeof spec.emulator !== "string"
        ? { config: { ...(spec.region ? { region: spec.region } : {}), ...spec.emulator } }
        : spec.region
          ? { config: { region: spec.region } }
          : {}),
    });
    endpoint = emulator.url;
    emulatorUrl = emulator.url;
    closeEmulator = () => emulator.close();
  }
  const local = emulatorUrl !== undefined || (endpoint !== undefined && isLoopback(endpoint));
  const quarry = new Quarry({
    ...(spec.region ? { region: spec.region } : local ? { region: "us-east-1" } : {}),
    ...(spec.profile ? { profile: spec.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(local && !process.env.AWS_ACCESS_KEY_ID ? { credentials: LOCAL_CREDENTIALS } : {}),
    ...(spec.limits.concurrency ? { concurrency: Math.max(spec.limits.concurrency, 1) } : {}),
    scheduler: schedulerOptions(spec, options.clock),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const label = emulatorUrl ? `embedded emulator (${emulatorUrl})` : (endpoint ?? "AWS");
  return {
    quarry,
    endpointLabel: label,
    region: () => quarry.region(),
    emulatorUrl,
    async close() {
      quarry.destroy();
      await closeEmulator?.();
    },
  };
}

/**
 * A client spreading the job over its targets. With `endpoint: local`, an embedded emulator is
 * started for each Region that has no endpoint of its own, each with the job's emulator
 * configuration and its own quotas.
 */
async function openTargetsClient(
  spec: JobSpec,
  targets: NonNullable<JobSpec["targets"]>,
  options: OpenJobClientOptions,
): Promise<JobClient> {
  const emulators = new Map<string, { readonly url: string; close(): Promise<void> }>();
  const closeEmulators = () =>
    Promise.all([...emulators.values()].map((emulator) => emulator.close()));
  try {
    if (spec.endpoint === "local") {
      const { startEmulator } = await import("../emulator/start-emulator.js");
      for (const target of targets) {
        if (target.endpoint !== undefined || emulators.has(target.region)) continue;
        const config = typeof spec.emulator === "object" ? spec.emulator : {};
        emulators.set(
          target.region,
          await startEmulator({
            port: 0,
            ...(typeof spec.emulator === "string" ? { configFile: spec.emulator } : {}),
            config: { ...config, region: target.region },
          }),
        );
      }
    }
  } catch (error) {
    await closeEmulators();
    throw error;
  }
  const clientTargets: QuarryTarget[] = targets.map((target) => {
    const endpoint = target.endpoint ?? emulators.get(target.region)?.url;
    return {
      region: target.region,
      model: target.model,
      ...(endpoint === undefined ? {} : { endpoint }),
    };
  });
  const local = clientTargets.every(
    (target) => target.endpoint !== undefined && isLoopback(target.endpoint),
  );
  const quarry = new Quarry({
    targets: clientTargets,
    model: spec.model,
    ...(spec.profile ? { profile: spec.profile } : {}),
    ...(local && !process.env.AWS_ACCESS_KEY_ID ? { credentials: LOCAL_CREDENTIALS } : {}),
    ...(spec.limits.concurrency ? { concurrency: Math.max(spec.limits.concurrency, 1) } : {}),
    scheduler: schedulerOptions(spec, options.clock),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const places = clientTargets.map(
    (target) =>
      `${target.region} ${emulators.get(target.region)?.url === target.endpoint && target.endpoint ? `embedded emulator (${target.endpoint})` : (target.endpoint ?? "AWS")}`,
  );
  return {
    quarry,
    endpointLabel: places.join(", "),
    region: () => quarry.region(),
    emulatorUrl: emulators.values().next().value?.url,
    async close() {
      quarry.destroy();
      await closeEmulators();
    },
  };
}

/** The scheduler options a job's `limits` and `retry` fields ask for. */
export function schedulerOptions(spec: JobSpec, clock?: Clock): SchedulerOptions {
  const known = Object.fromEntries(
    Object.entries(spec.limits).filter(([, value]) => value !== undefined),
  ) as { rpm?: number; tpm?: number; concurrency?: number };
  const { maxAttempts, initialDelayMs, maxDelayMs } = spec.retry;
  const transient =
    initialDelayMs !== undefined || maxDelayMs !== undefined
      ? { base: initialDelayMs ?? 100, cap: maxDelayMs ?? 20_000 }
      : undefined;
  return {
    ...(clock ? { clock } : {}),
    ...(Object.keys(known).length > 0 ? { limits: { "*": known } } : {}),
    retry: {
      ...(maxAttempts !== undefined ? { maxTotalAttempts: maxAttempts } : {}),
      ...(transient ? { transientBackoff: transient } : {}),
      ...(maxDelayMs !== undefined
        ? { throttledBackoff: { base: Math.min(250, maxDelayMs), cap: maxDelayMs } }
        : {}),
    },
  };
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.");
  } catch {
    return false;
  }
}
