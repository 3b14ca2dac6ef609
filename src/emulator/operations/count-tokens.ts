// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
// CountTokens is free and takes a base foundation model id (inference profiles are refused:
// "The provided model doesn't support counting tokens."). The count is exactly what InvokeModel
// or Converse would charge for the same input, because it goes through the same parsing and the
// same tokenizer.
import type { CatalogModel } from "../catalog/catalog-model.js";
import { assertJsonDepth } from "../converse/assert-json-depth.js";
import type { ConverseRequestBody } from "../converse/converse-request.js";
import { countTokensRequestShape } from "../converse/converse-shapes.js";
import { converseToTextCall } from "../converse/converse-to-text-call.js";
import { validateShape } from "../converse/validate-shape.js";
import { awsErrors, type EmulatorError } from "../emulator-error.js";
import { dialectFor } from "../families/dialects.js";
import { jsonResponse } from "../server/emulator-request.js";
import type { Operation } from "../server/operation.js";
import type { EmulatorState } from "../state/emulator-state.js";
import { inputTokensOf, parseJsonBody } from "./model-invocation.js";

const UNSUPPORTED = "The provided model doesn't support counting tokens.";

interface CountTokensBody {
  readonly input: {
    readonly invokeModel?: { readonly body: string };
    readonly converse?: ConverseRequestBody;
  };
}

export const countTokens: Operation = {
  name: "CountTokens",
  method: "POST",
  path: "/model/{modelId}/count-tokens",
  handle(request, params, state) {
    const model = countableModel(state, params.modelId!);
    const json = parseJsonBody(request);
    assertJsonDepth(json);
    validateShape(json, countTokensRequestShape);
    const { input } = json as CountTokensBody;
    const members = Object.keys(input).filter(
      (key) => (input as Record<string, unknown>)[key] != null,
    );
    if (members.length !== 1) {
      throw awsErrors.validation(
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have exactly one of [invokeModel, converse] set",
      );
    }
    const fault = state.faults.draw("CountTokens", { streaming: false, text: false });
    const error = countTokensFault(fault);
    if (error) throw error;

    let inputTokens: number;
    if (input.invokeModel) {
      const dialect = dialectFor(model.dialect);
      if (dialect.output !== "text") throw awsErrors.validation(UNSUPPORTED);
      const body = parseJsonBody({
        ...request,
        body: Buffer.from(input.invokeModel.body, "base64"),
      });
      assertJsonDepth(body);
      inputTokens = inputTokensOf(dialect.parseRequest(body, model));
    } else {
      inputTokens = inputTokensOf(
        converseToTextCall(input.converse!, model, { countOnly: true }).call,
      );
    }
    state.stats.record({ operation: "CountTokens", modelId: params.modelId!, outcome: "ok" });
    return jsonResponse(200, { inputTokens });
  },
};

/** The base model CountTokens counts for, or Bedrock's refusal. */
function countableModel(state: EmulatorState, modelId: string): CatalogModel {
  const model = state.catalog.get(modelId);
  if (!model) {
    // A profile id or ARN resolves (and is refused below); anything else fails as it does for
    // the other model operations.
    state.catalog.resolve(modelId);
    throw awsErrors.validation(UNSUPPORTED);
  }
  if (state.config.deniedModels.includes(model.modelId)) {
    throw awsErrors.accessDenied("You don't have access to the model with the specified model ID.");
  }
  if (!model.countTokens || model.output !== "text") throw awsErrors.validation(UNSUPPORTED);
  return model;
}

/** CountTokens answers only server faults (its error list has no model errors). */
function countTokensFault(fault: string | undefined): EmulatorError | undefined {
  let error: EmulatorError | undefined;
  if (fault === "internalServerError") error = awsErrors.internal();
  else if (fault === "serviceUnavailable") error = awsErrors.serviceUnavailable();
  if (error) error.outcome = `fault:${fault}`;
  return error;
}
