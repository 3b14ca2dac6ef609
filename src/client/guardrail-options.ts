/**
 * A guardrail to apply to a model call
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use.html).
 */
export interface GuardrailOptions {
  /** The guardrail's id or ARN. */
  readonly identifier: string;
  /**
   * A version number as a string, or `DRAFT`.
   * @default "DRAFT"
   */
  readonly version?: string;
  /**
   * Ask for the guardrail's trace, which names the policy that intervened.
   * @default true
   */
  readonly trace?: boolean;
  /** ConverseStream only: check the output in step with the stream (`sync`) or behind it. */
  readonly streamProcessingMode?: "sync" | "async";
}

/** What a call returns when a guardrail stopped it. */
export interface BlockedOutcome {
  readonly blocked: true;
  /** Bedrock's action, e.g. `GUARDRAIL_INTERVENED` or `INTERVENED`. */
  readonly action: string;
  /** Why, as precisely as the response says (a policy and what it matched, when traced). */
  readonly reason: string;
  /** What the caller sees instead: the guardrail's blocked-input or blocked-output message. */
  readonly output: string;
  /** The raw guardrail trace, when one was returned. */
  readonly trace?: unknown;
}
