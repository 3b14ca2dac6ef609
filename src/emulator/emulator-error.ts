import { QuarryError } from "../errors/quarry-error.js";

/**
 * An error the emulator answers with, knowing its own wire form: the AWS exception name (sent
 * as `x-amzn-ErrorType`, or as `:exception-type` inside an event stream), the HTTP status, and
 * the JSON body `{"message": ...}` plus any modeled members.
 *
 * Statuses and names follow the bedrock-runtime service model
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_Errors).
 */
export class EmulatorError extends QuarryError {
  override readonly name = "EmulatorError";
  /** The AWS exception shape name, e.g. `ThrottlingException`. */
  readonly exceptionName: string;
  /** Members sent beside `message`, e.g. `originalStatusCode` for ModelStreamErrorException. */
  readonly members: Readonly<Record<string, unknown>>;
  /** How the statistics count this refusal (e.g. `throttled:tpm`); defaults to the name. */
  outcome: string;

  constructor(
    exceptionName: string,
    status: number,
    message: string,
    members: Record<string, unknown> = {},
  ) {
    super(`emulator.${exceptionName}`, message, {
      status,
      isRetryable: status === 429 || status >= 500,
    });
    this.exceptionName = exceptionName;
    this.members = members;
    this.outcome = exceptionName;
  }

  /** The JSON body as AWS sends it. */
  toBody(): Record<string, unknown> {
    return { message: this.message, ...this.members };
  }

  /** The event-stream exception member name: the shape name with a lower-case first letter. */
  get eventName(): string {
    return this.exceptionName[0]!.toLowerCase() + this.exceptionName.slice(1);
  }
}

/** Constructors for the errors Bedrock sends, with its own default messages. */
export const awsErrors = {
  validation: (message: string) => new EmulatorError("ValidationException", 400, message),
  /** Bedrock's wording for a body that does not match the model's schema. */
  malformedInput: (detail: string) =>
    new EmulatorError(
      "ValidationException",
      400,
      `Malformed input request: ${detail}, please reformat your input and try again.`,
    ),
  throttling: (message = "Too many requests, please wait before trying again.") =>
    new EmulatorError("ThrottlingException", 429, message),
  tooManyTokens: () =>
    new EmulatorError(
      "ThrottlingException",
      429,
      "Too many tokens, please wait before trying again.",
    ),
  tooManyConnections: () =>
    new EmulatorError(
      "ServiceUnavailableException",
      503,
      "Too many connections, please wait before trying again.",
    ),
  serviceUnavailable: (message = "Bedrock is unable to process your request.") =>
    new EmulatorError("ServiceUnavailableException", 503, message),
  internal: (message = "The server encountered an internal error while processing the request.") =>
    new EmulatorError("InternalServerException", 500, message),
  modelNotReady: (
    message = "Model is not ready for inference. Wait and try your request again. Refer to the Bedrock documentation for more details.",
  ) => new EmulatorError("ModelNotReadyException", 429, message),
  modelTimeout: (
    message = "Model has timed out in processing the request. Try your request again.",
  ) => new EmulatorError("ModelTimeoutException", 408, message),
  modelStreamError: (
    message = "The model stream encountered an error. Try your request again.",
    originalStatusCode = 500,
  ) =>
    new EmulatorError("ModelStreamErrorException", 424, message, {
      originalStatusCode,
      originalMessage: message,
    }),
  accessDenied: (message: string) => new EmulatorError("AccessDeniedException", 403, message),
  resourceNotFound: (message: string) =>
    new EmulatorError("ResourceNotFoundException", 404, message),
  serviceQuotaExceeded: (message: string) =>
    new EmulatorError("ServiceQuotaExceededException", 400, message),
  unknownOperation: () =>
    new EmulatorError(
      "UnknownOperationException",
      404,
      "The requested operation is not recognized.",
    ),
  unrecognizedClient: () =>
    new EmulatorError(
      "UnrecognizedClientException",
      403,
      "The security token included in the request is invalid.",
    ),
  invalidSignature: () =>
    new EmulatorError(
      "InvalidSignatureException",
      403,
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    ),
  payloadTooLarge: (limit: number) =>
    new EmulatorError(
      "ValidationException",
      413,
      `Request body exceeds the maximum size of ${limit} bytes.`,
    ),
} as const;
