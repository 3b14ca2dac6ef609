import { awsErrors, EmulatorError } from "../emulator-error.js";
import type { EmulatorState } from "../state/emulator-state.js";
import type { AnyRequest, AnyResponse } from "./dual-protocol-server.js";
import {
  ConnectionReset,
  type EmulatorRequest,
  type EmulatorResponse,
} from "./emulator-request.js";
import type { Operation } from "./operation.js";

interface CompiledRoute {
  readonly operation: Operation;
  readonly pattern: RegExp;
  readonly labels: readonly string[];
}

/** Checks a request before routing (SigV4, bearer tokens); throws an EmulatorError to refuse. */
export type RequestGuard = (request: EmulatorRequest, state: EmulatorState) => void | Promise<void>;

const JSON_HEADERS = { "content-type": "application/json" } as const;

/**
 * Decodes HTTP into an `EmulatorRequest`, finds the operation, and encodes what it answers.
 * Every failure becomes a well-formed AWS error response: nothing a client sends may crash the
 * server or leak a stack trace.
 */
export class Router {
  readonly #routes: CompiledRoute[];
  readonly #getState: () => EmulatorState;
  readonly #guards: RequestGuard[];

  constructor(
    operations: readonly Operation[],
    getState: () => EmulatorState,
    guards: RequestGuard[] = [],
  ) {
    this.#routes = operations.map(compile);
    this.#getState = getState;
    this.#guards = guards;
  }

  /** The Node request listener for both protocol stacks. */
  readonly listener = (incoming: AnyRequest, outgoing: AnyResponse): void => {
    this.#serve(incoming, outgoing).catch(() => destroy(incoming, outgoing));
  };

  async #serve(incoming: AnyRequest, outgoing: AnyResponse): Promise<void> {
    const state = this.#getState();
    const requestId = state.nextRequestId();
    const controller = new AbortController();
    const onClose = () => {
      if (!outgoing.writableEnded) controller.abort(new Error("client closed the connection"));
    };
    outgoing.once("close", onClose);

    const url = incoming.url ?? "/";
    const queryAt = url.indexOf("?");
    const rawPath = queryAt >= 0 ? url.slice(0, queryAt) : url;
    const method = (incoming.method ?? "GET").toUpperCase();
    let operationName = "Unknown";
    let modelId: string | undefined;

    let response: EmulatorResponse;
    try {
      const body = await readBody(incoming, state.config.limits.maxBodyBytes);
      const request: EmulatorRequest = {
        requestId,
        method,
        rawPath,
        query: new URLSearchParams(queryAt >= 0 ? url.slice(queryAt + 1) : ""),
        headers: incoming.headers,
        body,
        protocol: incoming.httpVersionMajor === 2 ? "h2" : "http/1.1",
        signal: controller.signal,
      };
      const match = this.#match(method, rawPath);
      if (!match) throw awsErrors.unknownOperation();
      operationName = match.operation.name;
      modelId = match.params.modelId;
      if (!rawPath.startsWith("/_quarry/"))
        for (const guard of this.#guards) await guard(request, state);
      response = await match.operation.handle(request, match.params, state);
    } catch (error) {
      const wire = error instanceof EmulatorError ? error : awsErrors.internal();
      state.stats.record({
        operation: operationName,
        ...(modelId ? { modelId } : {}),
        // A wait cut short by the client is not a server error, and must not be counted as one.
        outcome: controller.signal.aborted && wire !== error ? "client-aborted" : wire.outcome,
      });
      response = {
        status: wire.status ?? 500,
        headers: {
          ...JSON_HEADERS,
          "x-amzn-errortype": `${wire.exceptionName}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        },
        body: JSON.stringify(wire.toBody()),
      };
    }
    await write(incoming, outgoing, response, requestId);
    outgoing.removeListener("close", onClose);
  }

  #match(method: string, rawPath: string) {
    for (const route of this.#routes) {
      if (route.operation.method !== method) continue;
      const found = route.pattern.exec(rawPath);
      if (!found) continue;
      const params: Record<string, string> = {};
      route.labels.forEach((label, i) => {
        params[label] = safeDecode(found[i + 1]!);
      });
      return { operation: route.operation, params };
    }
    return undefined;
  }
}

function compile(operation: Operation): CompiledRoute {
  const labels: string[] = [];
  const source = operation.path
    .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
    .replace(/\{(\w+)\}/g, (_m, label: string) => {
      labels.push(label);
      return "([^/]+)";
    });
  return { operation, pattern: new RegExp(`^${source}/?$`), labels };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function readBody(incoming: AnyRequest, limit: number): Promise<Buffer> {
  const declared = Number(incoming.headers["content-length"] ?? "0");
  if (declared > limit) {
    incoming.resume();
    throw awsErrors.payloadTooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      incoming.resume();
      throw awsErrors.payloadTooLarge(limit);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

async function write(
  incoming: AnyRequest,
  outgoing: AnyResponse,
  response: EmulatorResponse,
  requestId: string,
): Promise<void> {
  if (outgoing.writableEnded || outgoing.destroyed) return;
  const headers: Record<string, string | number> = {
    "x-amzn-requestid": requestId,
    ...response.headers,
  };
  const body =
    response.body === undefined
      ? undefined
      : typeof response.body === "string"
        ? Buffer.from(response.body)
        : response.body;

  if (response.stream) {
    outgoing.writeHead(response.status, headers);
    if ("flushHeaders" in outgoing) outgoing.flushHeaders();
    let lastFlushed: Promise<void> = Promise.resolve();
    try {
      for await (const frame of response.stream) {
        if (outgoing.destroyed) return;
        const written = writeChunk(outgoing, frame);
        lastFlushed = written.flushed;
        await written.accepted;
      }
      outgoing.end();
    } catch (error) {
      if (error instanceof ConnectionReset) {
        // The frames already written must reach the client before the connection drops.
        await untilClosed(outgoing, lastFlushed);
        destroy(incoming, outgoing);
      } else outgoing.end();
    }
    return;
  }

  if (response.resetAfterBytes !== undefined && body) {
    headers["content-length"] = body.length;
    outgoing.writeHead(response.status, headers);
    // Destroying a socket discards what it has not sent yet: without waiting for the flush, an
    // HTTP/1.1 client would never see the headers and part of the body that the fault promises.
    await untilClosed(
      outgoing,
      writeChunk(outgoing, body.subarray(0, response.resetAfterBytes)).flushed,
    );
    destroy(incoming, outgoing);
    return;
  }
  if (body) headers["content-length"] = body.length;
  outgoing.writeHead(response.status, headers);
  if (body) outgoing.end(body);
  else outgoing.end();
}

/**
 * Writes a chunk. `accepted` resolves when more may be written (respecting back-pressure: a
 * slow reader must not make the emulator buffer a whole stream); `flushed` resolves once the
 * chunk has been handed to the operating system.
 */
function writeChunk(
  outgoing: AnyResponse,
  chunk: Uint8Array,
): { accepted: Promise<void>; flushed: Promise<void> } {
  let onFlushed!: () => void;
  const flushed = new Promise<void>((resolve) => {
    onFlushed = () => resolve();
  });
  const ok = (outgoing as { write(chunk: Uint8Array, callback: () => void): boolean }).write(
    chunk,
    onFlushed,
  );
  const accepted = ok
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        const done = () => {
          outgoing.removeListener("drain", done);
          outgoing.removeListener("close", done);
          resolve();
        };
        outgoing.once("drain", done);
        outgoing.once("close", done);
      });
  return { accepted, flushed };
}

/** Waits for `promise`, or for the response to close, whichever comes first. */
function untilClosed(outgoing: AnyResponse, promise: Promise<void>): Promise<void> {
  if (outgoing.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      outgoing.removeListener("close", done);
      resolve();
    };
    outgoing.once("close", done);
    promise.then(done);
  });
}

/** Drops the connection (HTTP/1.1) or resets the stream (HTTP/2), as a network fault would. */
function destroy(incoming: AnyRequest, outgoing: AnyResponse): void {
  if ("stream" in outgoing && outgoing.stream) {
    // An HTTP/2 RST_STREAM with INTERNAL_ERROR: the client sees the response aborted.
    outgoing.stream.close(2);
    return;
  }
  incoming.socket?.destroy();
}
