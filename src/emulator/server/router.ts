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
    // The abort signal and the query are made on first use (getters below): most requests
    // never wait and carry no query, and building both for every request was a measurable
    // share of the emulator's hot path.
    let controller: AbortController | undefined;
    let closed = false;
    const onClose = () => {
      if (outgoing.writableEnded) return;
      closed = true;
      controller?.abort(new Error("client closed the connection"));
    };
    outgoing.once("close", onClose);

    const url = incoming.url ?? "/";
    const queryAt = url.indexOf("?");
    const rawPath = queryAt >= 0 ? url.slice(0, queryAt) : url;
    const method = (incoming.method ?? "GET").toUpperCase();
    let operationName = "Unknown";
    let modelId: string | undefined;

    let response: EmulatorResponse;
    let loggedBody: Buffer | undefined;
    try {
      const body = await readBody(incoming, state.config.limits.maxBodyBytes);
      loggedBody = body;
      let query: URLSearchParams | undefined;
      const request: EmulatorRequest = {
        requestId,
        method,
        rawPath,
        get query() {
          query ??= new URLSearchParams(queryAt >= 0 ? url.slice(queryAt + 1) : "");
          return query;
        },
        headers: incoming.headers,
        body,
        protocol: incoming.httpVersionMajor === 2 ? "h2" : "http/1.1",
        get signal() {
          if (!controller) {
            controller = new AbortController();
            if (closed) controller.abort(new Error("client closed the connection"));
          }
          return controller.signal;
        },
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
        outcome: closed && wire !== error ? "client-aborted" : wire.outcome,
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
    if (state.requestLog.enabled && !rawPath.startsWith("/_quarry/")) {
      state.requestLog.add({
        at: state.stats.elapsedMs(),
        operation: operationName,
        ...(modelId !== undefined ? { modelId } : {}),
        status: response.status,
        body: loggedBody ?? Buffer.alloc(0),
      });
    }
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

/**
 * Reads the whole body, refusing one larger than `limit`. Plain 'data'/'end' listeners rather
 * than `for await`: the async iterator costs several allocations and promise turns per request,
 * which showed in the profile of the emulator's hot path.
 */
function readBody(incoming: AnyRequest, limit: number): Promise<Buffer> {
  const declared = Number(incoming.headers["content-length"] ?? "0");
  if (declared > limit) {
    incoming.resume();
    return Promise.reject(awsErrors.payloadTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      incoming.removeListener("data", onData);
      incoming.removeListener("end", onEnd);
      incoming.removeListener("error", onError);
      incoming.removeListener("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        // Keep reading, to discard the rest, so that the error response can still be sent.
        incoming.resume();
        reject(awsErrors.payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    // A client that goes away mid-body ends the request without 'end'.
    const onClose = () => onError(new Error("client closed the connection mid-body"));
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
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
