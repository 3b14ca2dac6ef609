import { authErrors } from "./auth-errors.js";

/** A SigV4 `Authorization` header, taken apart. */
export interface SigV4Authorization {
  readonly scheme: "sigv4";
  readonly accessKeyId: string;
  /** `YYYYMMDD` from the credential scope. */
  readonly date: string;
  readonly region: string;
  readonly service: string;
  /** Lower-case header names, in the order the client listed them. */
  readonly signedHeaders: readonly string[];
  /** Lower-case hex. */
  readonly signature: string;
}

/** A Bedrock API key sent as `Authorization: Bearer <token>`. */
export interface BearerAuthorization {
  readonly scheme: "bearer";
  readonly token: string;
}

export type ParsedAuthorization = SigV4Authorization | BearerAuthorization;

const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";

/**
 * Parses an `Authorization` header: `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/
 * bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=<hex>` or `Bearer <token>`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html).
 * Anything else is an IncompleteSignatureException naming what is missing, as AWS answers.
 */
export function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  const space = trimmed.indexOf(" ");
  const scheme = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? "" : trimmed.slice(space + 1).trim();
  if (scheme.toLowerCase() === "bearer") {
    if (!rest)
      throw authErrors.incompleteSignature("Authorization header requires a bearer token.");
    return { scheme: "bearer", token: rest };
  }
  if (scheme !== SIGV4_ALGORITHM)
    throw authErrors.incompleteSignature(
      `Authorization header requires the '${SIGV4_ALGORITHM}' algorithm or a bearer token.`,
    );

  const fields = new Map<string, string>();
  for (const part of rest.split(",")) {
    const at = part.indexOf("=");
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const missing = ["Credential", "Signature", "SignedHeaders"].filter((name) => !fields.get(name));
  if (missing.length)
    throw authErrors.incompleteSignature(
      missing
        .map((name) => `Authorization header requires '${name}' parameter.`)
        .concat(`Authorization=${SIGV4_ALGORITHM}`)
        .join(" "),
    );

  const credential = fields.get("Credential")!.split("/");
  if (credential.length !== 5 || credential[4] !== "aws4_request" || credential.some((x) => !x))
    throw authErrors.incompleteSignature(
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.",
    );
  const [accessKeyId, date, region, service] = credential as [string, string, string, string];
  // A malformed signature is left to the comparison, which refuses it as a mismatch.
  const signature = fields.get("Signature")!.toLowerCase();
  return {
    scheme: "sigv4",
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: fields
      .get("SignedHeaders")!
      .split(";")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
    signature,
  };
}
