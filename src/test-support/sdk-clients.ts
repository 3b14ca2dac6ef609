// Helpers for tests only: real AWS SDK clients pointed at a local emulator.
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/** Credentials that are obviously fake; the emulator accepts any unless SigV4 checking is on. */
export const TEST_CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

export interface TestClientOptions {
  /** Use HTTP/1.1 (NodeHttpHandler) instead of the SDK's default HTTP/2 handler. */
  readonly http1?: boolean;
  readonly region?: string;
}

/** A bedrock-runtime client against the emulator, SDK retries off so tests see every error. */
export function runtimeClient(url: string, options: TestClientOptions = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: url,
    region: options.region ?? "us-east-1",
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
    ...(options.http1 ? { requestHandler: new NodeHttpHandler() } : {}),
  });
}

/** Decodes an InvokeModel response body as JSON. */
export function jsonBody(body: Uint8Array): any {
  return JSON.parse(Buffer.from(body).toString("utf8"));
}
