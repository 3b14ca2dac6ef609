import { appendFile, mkdir } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { dirname } from "node:path";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentityProvider, QueryParameterBag } from "@smithy/types";
import { awsErrors } from "../emulator-error.js";
import type { EmulatorRequest, EmulatorResponse } from "../server/emulator-request.js";
import { type CassetteEntry, encodeBody } from "./cassette-entry.js";
import type { RequestKey } from "./request-key.js";
import { scrubHeaders } from "./scrub-headers.js";

/** Options for a `CassetteRecorder`. */
export interface CassetteRecorderOptions {
  /** The cassette file; lines are appended, the file and its folder created as needed. */
  readonly path: string;
  /** The real endpoint's origin, e.g. `https://bedrock-runtime.us-east-1.amazonaws.com`. */
  readonly upstream: string;
  /** The SigV4 signing region. */
  readonly region: string;
  /**
   * Where the signing credentials come from.
   * @default the AWS SDK's default provider chain (environment, shared config and SSO, roles)
   */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** Current time in ms, for `recordedAt`. */
  readonly now: () => number;
}

/** What the recorder knows about the call besides the HTTP request. */
export interface RecordedCall {
  readonly operation: string;
  readonly modelId?: string;
  readonly key: RequestKey;
  /** Told when the exchange is over (written to the cassette, or abandoned). */
  readonly onDone: (status: number, headers: Readonly<Record<string, string>>) => void;
}

/** Request headers that shape Bedrock's answer and so travel upstream (all others stay here). */
const FORWARDED = /^(content-type|accept|x-amzn-bedrock-[a-z0-9-]+)$/;
const EVENT_STREAM = "application/vnd.amazon.eventstream";

/**
 * Record mode: forwards each request to the real Bedrock endpoint, signed afresh with SigV4 by
 * the SDK's own signer (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html),
 * answers with what came back, and appends the exchange to the cassette. The client's own
 * signature and headers never leave the emulator, and the cassette keeps no request headers and
 * no credential-bearing response header. Event streams pass through as they arrive and are
 * written once complete; a stream the client abandons is not recorded.
 */
export class CassetteRecorder {
  readonly #options: CassetteRecorderOptions;
  #credentials: AwsCredentialIdentityProvider | undefined;
  #writes: Promise<void> = Promise.resolve();
  #folderReady: Promise<unknown> | undefined;

  constructor(options: CassetteRecorderOptions) {
    this.#options = options;
    this.#credentials = options.credentials;
  }

  async forward(request: EmulatorRequest, call: RecordedCall): Promise<EmulatorResponse> {
    const url = new URL(this.#options.upstream.replace(/\/+$/, "") + request.rawPath);
    for (const [name, value] of request.query) url.searchParams.append(name, value);
    const headers = await this.#sign(request, url);
    const upstream = await send(url, request, headers);
    const status = upstream.statusCode ?? 502;
    const kept = scrubHeaders(upstream.headers);
    const contentType = kept["content-type"];

    if (contentType?.startsWith(EVENT_STREAM) && status === 200)
      return { status, headers: kept, stream: this.#passThrough(upstream, call, status, kept) };

    const chunks: Buffer[] = [];
    for await (const chunk of upstream) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    await this.#append(call, status, kept, body);
    call.onDone(status, kept);
    return { status, headers: kept, body };
  }

  async *#passThrough(
    upstream: http.IncomingMessage,
    call: RecordedCall,
    status: number,
    headers: Record<string, string>,
  ): AsyncGenerator<Uint8Array> {
    const chunks: Buffer[] = [];
    let complete = false;
    try {
      for await (const chunk of upstream) {
        chunks.push(chunk as Buffer);
        yield chunk as Buffer;
      }
      complete = true;
      await this.#append(call, status, headers, Buffer.concat(chunks));
    } finally {
      if (!complete) upstream.destroy();
      call.onDone(complete ? status : 499, headers);
    }
  }

  async #sign(request: EmulatorRequest, url: URL): Promise<Record<string, string>> {
    const headers: Record<string, string> = { host: url.host };
    for (const [name, value] of Object.entries(request.headers))
      if (FORWARDED.test(name) && value !== undefined)
        headers[name] = Array.isArray(value) ? value.join(", ") : value;
    const query: QueryParameterBag = {};
    for (const name of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(name);
      query[name] = values.length === 1 ? values[0]! : values;
    }
    const credentials = await this.#credentialProvider();
    const signer = new SignatureV4({
      service: "bedrock",
      region: this.#options.region,
      credentials,
      sha256: Sha256,
    });
    try {
      const signed = await signer.sign({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers,
        body: request.body,
      });
      return signed.headers;
    } catch (cause) {
      throw awsErrors.internal(
        `Cassette recording needs AWS credentials from the default provider chain (environment, shared config, SSO or a role): ${(cause as Error).message}`,
      );
    }
  }

  async #credentialProvider(): Promise<AwsCredentialIdentityProvider> {
    if (!this.#credentials) {
      // The SDK client resolves the default chain; it is imported only when recording.
      const { BedrockRuntimeClient } = await import("@aws-sdk/client-bedrock-runtime");
      const client = new BedrockRuntimeClient({ region: this.#options.region });
      this.#credentials = client.config.credentials;
    }
    return this.#credentials;
  }

  #append(
    call: RecordedCall,
    status: number,
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<void> {
    const entry: CassetteEntry = {
      operation: call.operation,
      ...(call.modelId !== undefined ? { modelId: call.modelId } : {}),
      key: call.key,
      status,
      headers,
      ...encodeBody(body, headers["content-type"]),
      recordedAt: new Date(this.#options.now()).toISOString(),
    };
    const line = `${JSON.stringify(entry)}\n`;
    this.#folderReady ??= mkdir(dirname(this.#options.path), { recursive: true });
    // One write at a time, in arrival order: concurrent appends must not interleave lines.
    const write = this.#writes.then(async () => {
      await this.#folderReady;
      await appendFile(this.#options.path, line, "utf8");
    });
    this.#writes = write.catch(() => {});
    return write.catch((cause) => {
      throw awsErrors.internal(
        `Cassette ${this.#options.path} cannot be written: ${(cause as Error).message}`,
      );
    });
  }
}

function send(
  url: URL,
  request: EmulatorRequest,
  headers: Record<string, string>,
): Promise<http.IncomingMessage> {
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      url,
      {
        method: request.method,
        headers: { ...headers, "content-length": String(request.body.length) },
        signal: request.signal,
      },
      resolve,
    );
    outgoing.on("error", (cause: NodeJS.ErrnoException) =>
      reject(
        request.signal.aborted
          ? cause
          : awsErrors.serviceUnavailable(
              `Cassette recording could not reach ${url.origin}: ${cause.code ?? cause.message}`,
            ),
      ),
    );
    outgoing.end(request.body);
  });
}
