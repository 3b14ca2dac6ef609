import { createHash, timingSafeEqual } from "node:crypto";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest, QueryParameterBag } from "@smithy/types";
import { awsErrors } from "../emulator-error.js";
import { type EmulatorRequest, headerValue } from "../server/emulator-request.js";
import { authErrors } from "./auth-errors.js";
import type { SigV4Authorization } from "./parse-authorization.js";

/** The SigV4 signing name of bedrock-runtime (and of bedrock and bedrock-agent-runtime). */
export const BEDROCK_SIGNING_NAME = "bedrock";

/**
 * Checks a SigV4 signature by signing the received request again with the same secret, date,
 * region and signed headers, using the SDK's own signer, and comparing in constant time
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
 *
 * Header names arrive lower-cased on both protocols, which SigV4's canonical form uses anyway;
 * HTTP/2 carries the host in `:authority`, so a signed `host` is read from there when absent.
 * The request's age is not checked: the emulator runs on injected clocks.
 */
export async function verifySigV4(
  request: EmulatorRequest,
  authorization: SigV4Authorization,
  secretAccessKey: string,
): Promise<void> {
  if (authorization.service !== BEDROCK_SIGNING_NAME)
    throw authErrors.wrongService(BEDROCK_SIGNING_NAME);
  const amzDate = headerValue(request, "x-amz-date");
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (!signingDate)
    throw authErrors.incompleteSignature(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );

  const headers: Record<string, string> = {};
  for (const name of authorization.signedHeaders) {
    const value =
      headerValue(request, name) ??
      (name === "host" ? headerValue(request, ":authority") : undefined);
    // A header the client signed but did not send cannot verify.
    if (value === undefined) throw awsErrors.invalidSignature();
    headers[name] = value;
  }
  // The signer trusts a sent payload hash; the body must really have it.
  const sentHash = headerValue(request, "x-amz-content-sha256");
  if (
    sentHash !== undefined &&
    sentHash !== "UNSIGNED-PAYLOAD" &&
    sentHash !== createHash("sha256").update(request.body).digest("hex")
  )
    throw awsErrors.invalidSignature();
  const query: QueryParameterBag = {};
  for (const key of new Set(request.query.keys())) {
    const values = request.query.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  const toSign: HttpRequest = {
    method: request.method,
    protocol: "http:",
    hostname: headers.host ?? "",
    path: request.rawPath,
    query,
    headers,
    body: request.body,
  };
  const signer = new SignatureV4({
    service: BEDROCK_SIGNING_NAME,
    region: authorization.region,
    credentials: { accessKeyId: authorization.accessKeyId, secretAccessKey },
    sha256: Sha256,
    // Sign only what the client signed: adding x-amz-content-sha256 would change the canonical form.
    applyChecksum: false,
  });
  const signed = await signer.sign(toSign, {
    signingDate,
    signingRegion: authorization.region,
    signingService: authorization.service,
    signableHeaders: new Set(authorization.signedHeaders),
  });
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? "";
  if (!constantTimeEqual(expected, authorization.signature)) throw awsErrors.invalidSignature();
}

/** `20240101T120000Z` → a Date; undefined when malformed. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function constantTimeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  // Lengths are public (a SigV4 signature is always 64 hex digits); the contents are not.
  return a.length === b.length && timingSafeEqual(a, b);
}
