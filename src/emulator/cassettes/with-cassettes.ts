import type { EmulatorConfig } from "../config/emulator-config.js";
import { awsErrors } from "../emulator-error.js";
import type { EmulatorResponse } from "../server/emulator-request.js";
import type { Operation } from "../server/operation.js";
import type { EmulatorState } from "../state/emulator-state.js";
import { type CassetteEntry, decodeBody } from "./cassette-entry.js";
import { CassettePlayer } from "./cassette-player.js";
import { CassetteRecorder } from "./cassette-recorder.js";
import { type RequestKey, requestKey } from "./request-key.js";
import { splitEventFrames } from "./split-event-frames.js";

type CassetteConfig = NonNullable<EmulatorConfig["responder"]["cassette"]>;

/** bedrock-runtime's routes (the ones a cassette records); control routes are never taped. */
const RUNTIME_ROUTE = /^\/(model|guardrail|guardrail-checks|async-invoke)(\/|$)/;

/** The default upstream; `{region}` is filled from the emulator's region. */
export const DEFAULT_UPSTREAM = "https://bedrock-runtime.{region}.amazonaws.com";

/**
 * Wraps the bedrock-runtime operations with record/replay (`responder.cassette`), leaving the
 * operations themselves untouched: without a cassette configured, each call goes straight to
 * the operation.
 *
 * - `replay`: answers from the cassette byte for byte (status, headers, body; event streams
 *   frame by frame); a request it lacks is a ResourceNotFoundException naming the key, or goes
 *   to the operation when `onMissing` is `synthesize`.
 * - `record`: forwards to the real endpoint and appends each exchange to the cassette.
 */
export function withCassettes(operations: readonly Operation[]): Operation[] {
  // One player or recorder per cassette configuration: a configure() call starts afresh.
  const sessions = new WeakMap<CassetteConfig, Promise<CassettePlayer> | CassetteRecorder>();

  const sessionFor = (config: CassetteConfig, state: EmulatorState) => {
    let session = sessions.get(config);
    if (!session) {
      session =
        config.mode === "replay"
          ? CassettePlayer.load(config.path)
          : new CassetteRecorder({
              path: config.path,
              upstream: (config.upstream ?? DEFAULT_UPSTREAM).replaceAll(
                "{region}",
                state.config.region,
              ),
              region: state.config.region,
              now: () => state.clock.now(),
            });
      // A cassette that failed to load is tried again on the next request.
      if (session instanceof Promise) session.catch(() => sessions.delete(config));
      sessions.set(config, session);
    }
    return session;
  };

  return operations.map((operation) => {
    if (!RUNTIME_ROUTE.test(operation.path)) return operation;
    return {
      ...operation,
      async handle(request, params, state) {
        const config = state.config.responder.cassette;
        if (!config) return operation.handle(request, params, state);
        const key = requestKey(
          request.method,
          request.rawPath,
          request.query.toString(),
          request.body,
          request.headers,
        );
        const session = sessionFor(config, state);
        const modelId = params.modelId;
        const record = (status: number, headers: Readonly<Record<string, string>>) =>
          state.stats.record({
            operation: operation.name,
            ...(modelId ? { modelId } : {}),
            outcome: outcomeOf(status, headers),
            ...tokenCounts(headers),
          });

        if (session instanceof CassetteRecorder)
          return session.forward(request, {
            operation: operation.name,
            ...(modelId !== undefined ? { modelId } : {}),
            key,
            onDone: record,
          });

        const entry = (await session).take(key);
        if (entry) {
          record(entry.status, entry.headers);
          return replay(entry);
        }
        if (config.onMissing === "synthesize") return operation.handle(request, params, state);
        throw missing(config.path, key);
      },
    } satisfies Operation;
  });
}

function replay(entry: CassetteEntry): EmulatorResponse {
  const body = decodeBody(entry);
  if (entry.headers["content-type"]?.startsWith("application/vnd.amazon.eventstream"))
    return { status: entry.status, headers: entry.headers, stream: frames(body) };
  return { status: entry.status, headers: entry.headers, body };
}

async function* frames(body: Buffer): AsyncGenerator<Uint8Array> {
  for (const frame of splitEventFrames(body)) yield frame;
}

function missing(path: string, key: RequestKey) {
  const error = awsErrors.resourceNotFound(
    `Cassette ${path} has no recording of ${key.method} ${key.path} with this body (sha256 ${key.bodySha256}). Record it with responder.cassette.mode "record", or set onMissing "synthesize".`,
  );
  error.outcome = "cassette:missing";
  return error;
}

/** `ok`, or the exception name a recorded error carried. */
function outcomeOf(status: number, headers: Readonly<Record<string, string>>): string {
  if (status < 300) return "ok";
  const type = headers["x-amzn-errortype"];
  return type ? type.split(":")[0]!.split("#").pop()! : `http:${status}`;
}

function tokenCounts(headers: Readonly<Record<string, string>>) {
  const input = Number(headers["x-amzn-bedrock-input-token-count"]);
  const output = Number(headers["x-amzn-bedrock-output-token-count"]);
  return {
    ...(Number.isFinite(input) ? { inputTokens: input } : {}),
    ...(Number.isFinite(output) ? { outputTokens: output } : {}),
  };
}
