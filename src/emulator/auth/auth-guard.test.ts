import {
  AccessDeniedException,
  BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { Sha256 } from "@smithy/core/checksum";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient, TEST_CREDENTIALS } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import { parseAuthorization } from "./parse-authorization.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const HAIKU_ARN = `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`;
const API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleQ==";
const body = JSON.stringify({
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 20,
  messages: [{ role: "user", content: "Say hello in 5 words." }],
});

function client(url: string, options: { http1: boolean; secret?: string; id?: string }) {
  return new BedrockRuntimeClient({
    endpoint: url,
    region: "eu-west-1",
    maxAttempts: 1,
    credentials: {
      accessKeyId: options.id ?? TEST_CREDENTIALS.accessKeyId,
      secretAccessKey: options.secret ?? TEST_CREDENTIALS.secretAccessKey,
    },
    ...(options.http1 ? { requestHandler: new NodeHttpHandler() } : {}),
  });
}

/** Records the Authorization header of each request as it leaves the client. */
function captureAuthorization(sdk: BedrockRuntimeClient, seen: string[]): void {
  sdk.middlewareStack.add(
    (next) => async (args: any) => {
      // The signer writes "Authorization" for bearer tokens, "authorization" for SigV4.
      const headers: Record<string, string> = args.request.headers;
      for (const [name, value] of Object.entries(headers))
        if (name.toLowerCase() === "authorization") seen.push(value);
      return next(args);
    },
    { step: "deserialize", priority: "low" },
  );
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: any) => error,
  );

describe("SigV4 verification through the real AWS SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: {
        auth: {
          sigv4: true,
          accessKeys: { [TEST_CREDENTIALS.accessKeyId]: TEST_CREDENTIALS.secretAccessKey },
          bearerTokens: [API_KEY],
        },
      },
    });
  });
  afterAll(() => emulator.close());

  for (const http1 of [false, true]) {
    const protocol = http1 ? "HTTP/1.1" : "HTTP/2";

    it(`lets the right keys in over ${protocol}, model ARNs and streams included`, async () => {
      const sdk = client(emulator.url, { http1 });
      try {
        const plain = await sdk.send(new InvokeModelCommand({ modelId: HAIKU, body }));
        expect(jsonBody(plain.body).type).toBe("message");
        // An ARN has ':' and '/' in the path label: the signature covers the encoded path.
        const byArn = await sdk.send(new InvokeModelCommand({ modelId: HAIKU_ARN, body }));
        expect(jsonBody(byArn.body).type).toBe("message");
        const stream = await sdk.send(
          new InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body }),
        );
        let chunks = 0;
        for await (const event of stream.body!) if (event.chunk) chunks++;
        expect(chunks).toBeGreaterThan(2);
      } finally {
        sdk.destroy();
      }
    });

    it(`refuses a wrong secret with InvalidSignatureException over ${protocol}`, async () => {
      const sdk = client(emulator.url, { http1, secret: "not-the-secret" });
      const error = await failure(sdk.send(new InvokeModelCommand({ modelId: HAIKU, body })));
      sdk.destroy();
      expect(error.name).toBe("InvalidSignatureException");
      expect(error.message).toBe(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      );
      expect(error.$metadata.httpStatusCode).toBe(403);
    });

    it(`refuses an unknown access key with UnrecognizedClientException over ${protocol}`, async () => {
      const sdk = client(emulator.url, { http1, id: "AKIDUNKNOWN" });
      const error = await failure(sdk.send(new InvokeModelCommand({ modelId: HAIKU, body })));
      sdk.destroy();
      expect(error.name).toBe("UnrecognizedClientException");
      expect(error.message).toBe("The security token included in the request is invalid.");
      expect(error.$metadata.httpStatusCode).toBe(403);
    });
  }

  it("accepts temporary credentials: the session token is signed like any header", async () => {
    const sdk = new BedrockRuntimeClient({
      endpoint: emulator.url,
      region: "us-west-2",
      maxAttempts: 1,
      credentials: { ...TEST_CREDENTIALS, sessionToken: "FwoGZXIvYXdzEXAMPLETOKEN" },
    });
    const response = await sdk.send(new InvokeModelCommand({ modelId: HAIKU, body }));
    sdk.destroy();
    expect(jsonBody(response.body).type).toBe("message");
  });

  it("refuses a body changed after signing, a signature for another service, and no signature", async () => {
    const url = new URL(`/model/${encodeURIComponent(HAIKU)}/invoke`, emulator.url);
    const sign = (service: string) =>
      new SignatureV4({
        service,
        region: "us-east-1",
        credentials: TEST_CREDENTIALS,
        sha256: Sha256,
      }).sign({
        method: "POST",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: {},
        headers: { host: url.host, "content-type": "application/json" },
        body,
      });
    const send = (headers: Record<string, string>, payload: string) =>
      fetch(url, { method: "POST", headers, body: payload });
    const { host: _host, ...signed } = (await sign("bedrock")).headers;

    const good = await send(signed, body);
    expect(good.status).toBe(200);
    const tampered = await send(signed, body.replace("hello", "HELLO"));
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get("x-amzn-errortype")).toMatch(/^InvalidSignatureException:/);

    const { host: _h, ...forS3 } = (await sign("s3")).headers;
    const wrongService = await send(forS3, body);
    expect(wrongService.status).toBe(403);
    expect(await wrongService.json()).toEqual({
      message: "Credential should be scoped to correct service: 'bedrock'. ",
    });

    const unsigned = await send({ "content-type": "application/json" }, body);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toMatch(
      /^MissingAuthenticationTokenException:/,
    );
    expect(await unsigned.json()).toEqual({ message: "Missing Authentication Token" });

    const garbled = await send({ authorization: "AWS4-HMAC-SHA256 Credential=AKID" }, body);
    expect(garbled.status).toBe(400);
    expect(garbled.headers.get("x-amzn-errortype")).toMatch(/^IncompleteSignatureException:/);
  });

  it("leaves the control routes open", async () => {
    const response = await fetch(`${emulator.url}/_quarry/health`);
    expect(response.status).toBe(200);
  });
});

describe("Bedrock API keys (bearer tokens) through the real AWS SDK", () => {
  let emulator: Emulator;
  const saved = process.env.AWS_BEARER_TOKEN_BEDROCK;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, config: { auth: { bearerTokens: [API_KEY] } } });
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_BEARER_TOKEN_BEDROCK;
    else process.env.AWS_BEARER_TOKEN_BEDROCK = saved;
  });

  const tokenClient = (token: string, http1: boolean) =>
    new BedrockRuntimeClient({
      endpoint: emulator.url,
      region: "us-east-1",
      maxAttempts: 1,
      token: { token },
      authSchemePreference: ["httpBearerAuth"],
      ...(http1 ? { requestHandler: new NodeHttpHandler() } : {}),
    });

  for (const http1 of [false, true]) {
    it(`accepts a listed token and refuses another over ${http1 ? "HTTP/1.1" : "HTTP/2"}`, async () => {
      const seen: string[] = [];
      const good = tokenClient(API_KEY, http1);
      captureAuthorization(good, seen);
      const response = await good.send(new InvokeModelCommand({ modelId: HAIKU, body }));
      good.destroy();
      expect(jsonBody(response.body).type).toBe("message");
      expect(seen).toEqual([`Bearer ${API_KEY}`]);

      const bad = tokenClient("ABSKnot-a-key", http1);
      const error = await failure(bad.send(new InvokeModelCommand({ modelId: HAIKU, body })));
      bad.destroy();
      expect(error).toBeInstanceOf(AccessDeniedException);
      expect(error.$metadata.httpStatusCode).toBe(403);
    });
  }

  it("accepts the key from AWS_BEARER_TOKEN_BEDROCK, as the SDK reads it", async () => {
    process.env.AWS_BEARER_TOKEN_BEDROCK = API_KEY;
    // No credentials at all: the variable alone switches the client to bearer auth.
    const sdk = new BedrockRuntimeClient({ endpoint: emulator.url, region: "us-east-1" });
    const seen: string[] = [];
    captureAuthorization(sdk, seen);
    const response = await sdk.send(new InvokeModelCommand({ modelId: HAIKU, body }));
    sdk.destroy();
    expect(jsonBody(response.body).type).toBe("message");
    expect(seen).toEqual([`Bearer ${API_KEY}`]);
  });

  it("refuses a request with no Authorization header but lets SigV4 through unchecked", async () => {
    const url = `${emulator.url}/model/${encodeURIComponent(HAIKU)}/invoke`;
    const unsigned = await fetch(url, { method: "POST", body });
    expect(unsigned.status).toBe(403);
    const sdk = runtimeClient(emulator.url);
    const response = await sdk.send(new InvokeModelCommand({ modelId: HAIKU, body }));
    sdk.destroy();
    expect(jsonBody(response.body).type).toBe("message");
  });
});

describe("parseAuthorization", () => {
  it("takes a SigV4 header apart", () => {
    expect(
      parseAuthorization(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/eu-west-1/bedrock/aws4_request, SignedHeaders=Host;x-amz-date, Signature=ABCDEF",
      ),
    ).toEqual({
      scheme: "sigv4",
      accessKeyId: "AKIDEXAMPLE",
      date: "20240102",
      region: "eu-west-1",
      service: "bedrock",
      signedHeaders: ["host", "x-amz-date"],
      signature: "abcdef",
    });
    expect(parseAuthorization("Bearer abc")).toEqual({ scheme: "bearer", token: "abc" });
  });

  it("names what is missing", () => {
    expect(() => parseAuthorization("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request")).toThrow(
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.",
    );
    expect(() =>
      parseAuthorization("AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00"),
    ).toThrow("Credential must have exactly 5 slash-delimited elements");
    expect(() => parseAuthorization("Basic dXNlcjpwYXNz")).toThrow("AWS4-HMAC-SHA256");
  });
});
