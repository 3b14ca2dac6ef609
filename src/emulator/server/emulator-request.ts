import type { IncomingHttpHeaders } from "node:http";

/** An HTTP request as the router hands it to an operation: decoded, body read and bounded. */
export interface EmulatorRequest {
  /** The id sent back as `x-amzn-RequestId`. */
  readonly requestId: string;
  readonly method: string;
  /** The path as sent, still percent-encoded (model ids in paths are encoded ARNs). */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** Header names in lower case. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly protocol: "http/1.1" | "h2";
  /** Aborts when the client goes away, so operations stop pacing a stream nobody reads. */
  readonly signal: AbortSignal;
}

/** What an operation answers; the router turns it into bytes on the wire. */
export interface EmulatorResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: string | Uint8Array;
  /** Event-stream frames written as they come; throwing `ConnectionReset` drops the connection. */
  readonly stream?: AsyncIterable<Uint8Array>;
  /** A fault: send the headers and this many body bytes, then drop the connection. */
  readonly resetAfterBytes?: number;
}

/** Thrown from a response stream to simulate a connection reset mid-response. */
export class ConnectionReset extends Error {
  constructor() {
    super("connection reset by the emulator's fault injection");
  }
}

/** Shorthand for a JSON response. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): EmulatorResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** Reads one header as a single string (HTTP/2 and HTTP/1.1 agree on lower-case names). */
export function headerValue(request: EmulatorRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
