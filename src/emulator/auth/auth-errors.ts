import { EmulatorError } from "../emulator-error.js";

// The refusals of AWS's authentication layer, worded as AWS words them. Bedrock's error-code
// page lists IncompleteSignature (400) and the 403s
// (https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html);
// the unsigned-request error is the one every AWS REST-JSON endpoint sends. The wrong-key and
// wrong-signature errors are `awsErrors.unrecognizedClient` and `awsErrors.invalidSignature`.

/** Errors the auth guard answers with, beyond those in `awsErrors`. */
export const authErrors = {
  /** No `Authorization` header at all. */
  missingAuthenticationToken: () =>
    new EmulatorError("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
  /** An `Authorization` header that is not a well-formed SigV4 or bearer header. */
  incompleteSignature: (message: string) =>
    new EmulatorError("IncompleteSignatureException", 400, message),
  /** A signature scoped to another service than Bedrock's signing name. */
  wrongService: (expected: string) =>
    new EmulatorError(
      "InvalidSignatureException",
      403,
      `Credential should be scoped to correct service: '${expected}'. `,
    ),
  /**
   * A Bedrock API key (bearer token) the emulator was not given. Bedrock answers an unknown key
   * with a 403 AccessDeniedException (https://github.com/earendil-works/pi/issues/6531); the
   * wording is the one reported in https://github.com/ai4s-research/open-science/issues/53.
   */
  invalidApiKey: () =>
    new EmulatorError(
      "AccessDeniedException",
      403,
      "Authentication failed: Please make sure your API Key is valid.",
    ),
} as const;
