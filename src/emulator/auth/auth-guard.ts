import { createHash, timingSafeEqual } from "node:crypto";
import { awsErrors } from "../emulator-error.js";
import { headerValue } from "../server/emulator-request.js";
import type { RequestGuard } from "../server/router.js";
import { authErrors } from "./auth-errors.js";
import { parseAuthorization } from "./parse-authorization.js";
import { verifySigV4 } from "./verify-sigv4.js";

/**
 * Checks who is calling, as Bedrock does, when the configuration asks for it (`auth.sigv4`, or a
 * non-empty `auth.bearerTokens`); otherwise every caller is let in, signed or not.
 *
 * - SigV4: the access key must be in `auth.accessKeys` (else UnrecognizedClientException) and
 *   the signature must match (else InvalidSignatureException).
 * - Bedrock API keys (`Authorization: Bearer ...`): the token must be in `auth.bearerTokens`.
 * - No `Authorization` header: MissingAuthenticationTokenException.
 *
 * The router runs guards on AWS routes only, never on `/_quarry/*`.
 */
export const authGuard: RequestGuard = async (request, state) => {
  const { sigv4, accessKeys, bearerTokens } = state.config.auth;
  if (!sigv4 && bearerTokens.length === 0) return;
  const header = headerValue(request, "authorization");
  if (header === undefined || header.trim() === "") throw authErrors.missingAuthenticationToken();
  const authorization = parseAuthorization(header);

  if (authorization.scheme === "bearer") {
    if (!bearerTokens.some((token) => sameSecret(token, authorization.token)))
      throw authErrors.invalidApiKey();
    return;
  }
  // With only bearer tokens configured, signed requests are not checked.
  if (!sigv4) return;
  const secret = Object.hasOwn(accessKeys, authorization.accessKeyId)
    ? accessKeys[authorization.accessKeyId]
    : undefined;
  if (secret === undefined) throw awsErrors.unrecognizedClient();
  await verifySigV4(request, authorization, secret);
};

/** Compares two secrets in time independent of where they differ (and of their lengths). */
function sameSecret(expected: string, given: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(expected), digest(given));
}
