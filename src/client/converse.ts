// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
import { ConverseCommand, type ConverseResponse } from "@aws-sdk/client-bedrock-runtime";
import { QuarryError } from "../errors/quarry-error.js";
import type { TextRequest, ToolDefinition } from "../models/model-codec.js";
import { withSignal } from "./call-signals.js";
import { estimateInputTokens } from "./estimate-tokens.js";
import { fromConverseOutput } from "./from-converse-output.js";
import { toOutcome } from "./invoke.js";
import type { CallTarget, QuarryContext } from "./quarry-context.js";
import { type SchemaInput, type SchemaValidator, schemaValidator } from "./schema-validator.js";
import type { TextCallRequest, TextOutcome } from "./text-call.js";
import { toTextRequest } from "./text-call.js";
import { type ConverseSettings, toConverseInput } from "./to-converse-input.js";
import type { ToolSet } from "./tool-set.js";

/** Native structured output: the reply is JSON following `schema` (zod or JSON Schema). */
export interface OutputSchema {
  readonly schema: SchemaInput;
  /** @default "output" */
  readonly name?: string;
  readonly description?: string;
}

/** A Converse call: the neutral request, Converse's own settings, and optionally local tools. */
export interface ConverseCallRequest
  extends Omit<TextCallRequest, "tools">,
    Omit<
      ConverseSettings,
      "guardrail" | "outputSchema" | "serviceTier" | "latency" | "requestMetadata"
    > {
  /**
   * Tool definitions the model may ask for (the caller runs them), or a `ToolSet` of local
   * functions that `converse` runs itself, looping until the model answers.
   */
  readonly tools?: readonly ToolDefinition[] | ToolSet;
  /**
   * With a `ToolSet`: the most model calls the loop makes.
   * @default 8
   */
  readonly maxSteps?: number;
  /** Ask for JSON that follows a schema (Converse `outputConfig`); the result gets `object`. */
  readonly outputSchema?: OutputSchema;
}

/** A Converse outcome; `object` is the parsed, validated reply when `outputSchema` was given. */
export type ConverseOutcome = TextOutcome & { readonly object?: unknown };

interface PreparedConverse {
  readonly textRequest: TextRequest;
  readonly inputTokens: number;
  readonly output: SchemaValidator | undefined;
}

/** Checks a Converse request and turns it into the neutral request (tools as definitions). */
export function prepareConverse(request: ConverseCallRequest): PreparedConverse {
  if (request.tools !== undefined && !Array.isArray(request.tools)) {
    throw new QuarryError(
      "input.tools",
      "A ToolSet of local functions runs in the tool loop: call converse() or runTools(), not a stream.",
    );
  }
  const textRequest = toTextRequest(request as TextCallRequest);
  const output = request.outputSchema
    ? schemaValidator(request.outputSchema.schema, "outputSchema.schema")
    : undefined;
  return { textRequest, inputTokens: estimateInputTokens(textRequest), output };
}

/** The Converse-only settings of a call. */
export function converseSettings(request: ConverseCallRequest): ConverseSettings {
  const prepared = request.outputSchema
    ? schemaValidator(request.outputSchema.schema, "outputSchema.schema")
    : undefined;
  return {
    ...(request.guardrail ? { guardrail: request.guardrail } : {}),
    ...(prepared && request.outputSchema
      ? {
          outputSchema: {
            schema: prepared.jsonSchema,
            ...(request.outputSchema.name ? { name: request.outputSchema.name } : {}),
            ...(request.outputSchema.description
              ? { description: request.outputSchema.description }
              : {}),
          },
        }
      : {}),
    ...(request.effort ? { effort: request.effort } : {}),
    ...(request.additionalModelResponseFieldPaths
      ? { additionalModelResponseFieldPaths: request.additionalModelResponseFieldPaths }
      : {}),
    ...(request.requestMetadata ? { requestMetadata: request.requestMetadata } : {}),
    ...(request.promptVariables ? { promptVariables: request.promptVariables } : {}),
    ...(request.serviceTier ? { serviceTier: request.serviceTier } : {}),
    ...(request.latency ? { latency: request.latency } : {}),
  };
}

/** One Converse call, paced and retried by the scheduler. */
export async function converseOnce(
  context: QuarryContext,
  request: ConverseCallRequest,
): Promise<ConverseOutcome> {
  const prepared = prepareConverse(request);
  const model = await context.model(request, "converse");
  const settings = converseSettings(request);
  const fullMaxTokens = prepared.textRequest.maxTokens ?? model.defaultMaxTokens;
  // Mapped now so that a malformed request fails before anything is reserved; reused by every
  // attempt at the full limit.
  const _fullInput = toConverseInput(model.modelId, prepared.textRequest, settings, fullMaxTokens);
  const { response, target } = await context.schedule<{
    readonly response: ConverseResponse;
    readonly target: CallTarget;
  }>({
    model,
    operation: "Converse",
    ...(request.recordId === undefined ? {} : { recordId: request.recordId }),
    signal: request.signal,
    inputTokens: prepared.inputTokens,
    maxTokens: prepared.textRequest.maxTokens ?? "auto",
    fullMaxTokens,
    attempt: async ({ maxTokens, signal, target }) => ({
      response: await target.client.send(
        withSignal(
          new ConverseCommand(
            toConverseInput(target.modelId, prepared.textRequest, settings, maxTokens),
          ),
          signal,
        ),
      ),
      target,
    }),
    usage: ({ response }) => fromConverseOutput(response).usage,
    stoppedAtMaxTokens: ({ response }) => response.stopReason === "max_tokens",
  });
  const result = fromConverseOutput(response);
  const outcome = toOutcome(
    target,
    result,
    result.stopReason === "guardrail_intervened"
      ? {
          action: "GUARDRAIL_INTERVENED",
          trace: (response.trace as { guardrail?: unknown } | undefined)?.guardrail,
        }
      : undefined,
  );
  if (!prepared.output || outcome.blocked) return outcome;
  return { ...outcome, object: parseStructured(outcome.text, prepared.output, target.modelId) };
}

function parseStructured(text: string, validator: SchemaValidator, modelId: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new QuarryError(
      "output.json",
      `The reply was asked to follow outputSchema but is not JSON: ${text.slice(0, 200)}`,
      { model: modelId, hint: "Check that the model supports structured output (outputConfig)." },
    );
  }
  const check = validator.check(value);
  if (!check.ok) {
    throw new QuarryError(
      "output.schema",
      `The reply does not follow outputSchema: ${check.message}`,
      { model: modelId },
    );
  }
  return check.value;
}
