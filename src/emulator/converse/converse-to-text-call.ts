// Maps a Converse request onto the emulator's family-neutral TextCall, refusing what Bedrock's
// Converse layer refuses, in its own words. Sources of the wording: the ValidationException
// messages callers report from Converse (quoted in the issue threads and code listed in the
// project's reference notes), e.g. "A conversation must start with a user message. Try again
// with a conversation that starts with a user message." Three refusals have no reported wording
// that we could find, so the wording is ours: promptVariables on a model id, a toolChoice.tool
// naming no offered tool, and an outputConfig schema that is not JSON.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
import type { CatalogModel } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
import type { TextCall, ToolSpec, Turn } from "../families/invocation-types.js";
import { IMAGE_INPUT_TOKENS } from "../operations/model-invocation.js";
import { CachePrefix, ttlOf } from "../state/cache-prefix.js";
import { countTokens } from "../state/count-tokens.js";
import type { CacheCheckpoint } from "../state/prompt-cache.js";
import { converseFeatures } from "./converse-features.js";
import type {
  ConverseRequestBody,
  WireGuardText,
  WireToolResultContent,
} from "./converse-request.js";

/** A Converse request, mapped. */
export interface ConverseCall {
  readonly call: TextCall;
  /**
   * The output budget reserved against the quota: `maxTokens`, or the model's maximum when the
   * request leaves it unset (Bedrock reserves the model's maximum then).
   */
  readonly reserveTokens: number;
  /** The texts an input guardrail assesses: `guardContent` blocks if any, else every text. */
  readonly guardedInput: readonly string[];
}

/** Options for `converseToTextCall`. */
export interface ConverseMappingOptions {
  /**
   * ConverseStream: also refuse tools on models without streaming tool use.
   * @default false
   */
  readonly streaming?: boolean;
  /**
   * CountTokens: the request carries no inference configuration to check.
   * @default false
   */
  readonly countOnly?: boolean;
}

const ALTERNATE =
  "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";

/** Maps and checks a Converse request body for `model` (throws Bedrock's ValidationException). */
export function converseToTextCall(
  body: ConverseRequestBody,
  model: CatalogModel,
  options: ConverseMappingOptions = {},
): ConverseCall {
  const features = converseFeatures(model);
  if (body.promptVariables !== undefined && !options.countOnly) {
    throw awsErrors.validation(
      "The promptVariables field is only supported when the modelId is the ARN of a prompt from Prompt management. Remove promptVariables and try again.",
    );
  }

  const messages = body.messages ?? [];
  if (messages.length === 0 || messages[0]!.role !== "user") {
    throw awsErrors.validation(
      "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
    );
  }

  const texts: string[] = [];
  const guardContent: string[] = [];
  const plainInput: string[] = [];
  let imageCount = 0;
  let usesTools = false;

  const systemTexts: string[] = [];
  for (const block of body.system ?? []) {
    const text = block.text ?? guardText(block.guardContent?.text);
    if (text === undefined) continue;
    systemTexts.push(text);
    if (block.guardContent?.text) guardContent.push(text);
    else plainInput.push(text);
  }
  if (systemTexts.length > 0 && !features.systemPrompts) {
    throw awsErrors.validation(
      "This model doesn't support system messages. Try again without a system message or use a model that supports system messages.",
    );
  }
  texts.push(...systemTexts);

  const turns: Turn[] = [];
  messages.forEach((message, index) => {
    if (message.role === "system" || (index > 0 && message.role === messages[index - 1]!.role))
      throw awsErrors.validation(ALTERNATE);
    if (message.content.length === 0) {
      throw awsErrors.validation(
        `The content field in the Message object at messages.${index} is empty. Add a ContentBlock object to the content field and try again.`,
      );
    }
    // The turn's text blocks join with a newline, except across a cache point, which marks a
    // place in the prompt and adds no text: the text either side reads on as one.
    const turnTexts: string[] = [];
    let afterCachePoint = false;
    const addText = (text: string) => {
      if (afterCachePoint && turnTexts.length > 0) turnTexts[turnTexts.length - 1] += text;
      else turnTexts.push(text);
    };
    const toolCalls: Turn["toolCalls"][number][] = [];
    const toolResults: Turn["toolResults"][number][] = [];
    message.content.forEach((block, blockIndex) => {
      const where = `messages.${index}.content.${blockIndex}`;
      if (block.text !== undefined) {
        if (block.text.trim() === "") {
          throw awsErrors.validation(
            `The text field in the ContentBlock object at ${where} is blank. Add text to the text field, and try again.`,
          );
        }
        addText(block.text);
        if (message.role === "user") plainInput.push(block.text);
      } else if (block.guardContent?.text) {
        const text = guardText(block.guardContent.text)!;
        addText(text);
        guardContent.push(text);
      } else if (block.image) {
        if (!features.vision) refuseBlock("image");
        imageCount++;
      } else if (block.document) {
        if (!features.documentChat) refuseBlock("document");
        const documentText = block.document.source.text;
        if (documentText !== undefined) texts.push(documentText);
        else imageCount++;
      } else if (block.video) {
        if (!(features.vision && model.dialect === "nova-messages")) refuseBlock("video");
        imageCount++;
      } else if (block.audio) {
        refuseBlock("audio");
      } else if (block.toolUse) {
        usesTools = true;
        toolCalls.push({
          id: block.toolUse.toolUseId,
          name: block.toolUse.name,
          input: block.toolUse.input ?? {},
        });
        texts.push(JSON.stringify(block.toolUse.input ?? {}));
      } else if (block.toolResult) {
        usesTools = true;
        const resultText = toolResultText(block.toolResult.content);
        imageCount += block.toolResult.content.filter((part) => part.image).length;
        toolResults.push({
          toolUseId: block.toolResult.toolUseId,
          text: resultText,
          ...(block.toolResult.status ? { status: block.toolResult.status } : {}),
        });
        texts.push(resultText);
      }
      afterCachePoint = block.cachePoint !== undefined;
    });
    if (toolResults.length > 0) {
      const previous = turns[index - 1];
      if (!previous || toolResults.length > previous.toolCalls.length) {
        throw awsErrors.validation(
          `The number of toolResult blocks at messages.${index}.content exceeds the number of toolUse blocks of previous turn.`,
        );
      }
    }
    texts.push(...turnTexts);
    turns.push({ role: message.role, text: turnTexts.join("\n"), toolCalls, toolResults });
  });

  const { tools, toolChoice } = mapTools(body, features, options, usesTools);
  for (const tool of tools)
    texts.push(tool.name, tool.description ?? "", JSON.stringify(tool.inputSchema));

  const requested = body.inferenceConfig?.maxTokens;
  if (requested !== undefined && requested > model.maxOutputTokens) {
    throw awsErrors.validation(
      model.dialect === "anthropic-messages"
        ? `The model returned the following errors: max_tokens: ${requested} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${reportedClaudeName(model)}`
        : `The maximum tokens you requested exceeds the model limit of ${model.maxOutputTokens}. Try again with a maximum tokens value that is lower than ${model.maxOutputTokens}.`,
    );
  }
  const responseSchema = parseOutputSchema(body);
  const temperature = body.inferenceConfig?.temperature;
  const cachePoints = cachePointsOf(body);

  const call: TextCall = {
    kind: "text",
    system: systemTexts.join("\n"),
    turns,
    promptText: texts.join("\n"),
    maxTokens: requested ?? model.defaultMaxTokens,
    stopSequences: body.inferenceConfig?.stopSequences ?? [],
    tools,
    toolChoice,
    ...(responseSchema !== undefined ? { responseSchema } : {}),
    toolUseIdPrefix: "tooluse_",
    imageCount,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(cachePoints ? { cachePoints } : {}),
  };
  return {
    call,
    reserveTokens: requested ?? model.maxOutputTokens,
    guardedInput: guardContent.length > 0 ? guardContent : plainInput,
  };
}

function mapTools(
  body: ConverseRequestBody,
  features: ReturnType<typeof converseFeatures>,
  options: ConverseMappingOptions,
  usesTools: boolean,
): { tools: ToolSpec[]; toolChoice: TextCall["toolChoice"] } {
  const config = body.toolConfig;
  if (!config) {
    if (usesTools) {
      throw awsErrors.validation(
        "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
      );
    }
    return { tools: [], toolChoice: { type: "none" } };
  }
  if (!features.toolUse) throw awsErrors.validation("This model doesn't support tool use.");
  if (options.streaming && !features.streamingToolUse)
    throw awsErrors.validation("This model doesn't support tool use in streaming mode.");
  const tools: ToolSpec[] = config.tools.flatMap((tool) =>
    tool.toolSpec
      ? [
          {
            name: tool.toolSpec.name,
            ...(tool.toolSpec.description !== undefined
              ? { description: tool.toolSpec.description }
              : {}),
            inputSchema: tool.toolSpec.inputSchema.json ?? { type: "object" },
          },
        ]
      : [],
  );
  const choice = config.toolChoice;
  if (choice?.any || choice?.tool) {
    const field = choice.any ? "any" : "tool";
    if (!features.forcedToolChoice) {
      throw awsErrors.validation(
        `This model doesn't support the toolConfig.toolChoice.${field} field. Remove toolConfig.toolChoice.${field} and try again.`,
      );
    }
    if (choice.tool && !tools.some((tool) => tool.name === choice.tool!.name)) {
      throw awsErrors.validation(
        `The tool ${choice.tool.name} named in toolConfig.toolChoice.tool isn't in toolConfig.tools. Name a tool from toolConfig.tools and try again.`,
      );
    }
    return {
      tools,
      toolChoice: choice.any ? { type: "any" } : { type: "tool", name: choice.tool!.name },
    };
  }
  return { tools, toolChoice: { type: "auto" } };
}

/**
 * The request's prompt-cache checkpoints, measured in cache order (tools, system, messages)
 * and counted as the mapping above counts the input; undefined when it places none.
 */
function cachePointsOf(body: ConverseRequestBody): readonly CacheCheckpoint[] | undefined {
  const tools = body.toolConfig?.tools ?? [];
  const marked =
    tools.some((tool) => tool.cachePoint !== undefined) ||
    (body.system ?? []).some((block) => block.cachePoint !== undefined) ||
    (body.messages ?? []).some((message) =>
      message.content.some((block) => block.cachePoint !== undefined),
    );
  if (!marked) return undefined;
  const prefix = new CachePrefix();
  prefix.field("tools");
  for (const tool of tools) {
    if (tool.cachePoint !== undefined) prefix.mark("tools", ttlOf(tool.cachePoint));
    else if (tool.toolSpec) {
      const spec = tool.toolSpec;
      prefix.add(
        tool,
        countTokens(spec.name) +
          countTokens(spec.description ?? "") +
          countTokens(JSON.stringify(spec.inputSchema.json ?? { type: "object" })),
      );
    } else prefix.add(tool, 0);
  }
  prefix.field("system");
  for (const block of body.system ?? []) {
    if (block.cachePoint !== undefined) prefix.mark("system", ttlOf(block.cachePoint));
    else prefix.text(block, block.text ?? block.guardContent?.text?.text ?? "");
  }
  prefix.field("messages");
  for (const message of body.messages ?? []) {
    prefix.add(message.role, 0);
    for (const block of message.content) {
      if (block.cachePoint !== undefined) prefix.mark("messages", ttlOf(block.cachePoint));
      else if (block.text !== undefined) prefix.text(block, block.text);
      else if (block.guardContent?.text) prefix.text(block, block.guardContent.text.text);
      else if (block.document)
        prefix.add(
          block,
          block.document.source.text !== undefined
            ? countTokens(block.document.source.text)
            : IMAGE_INPUT_TOKENS,
        );
      else if (block.image || block.video) prefix.add(block, IMAGE_INPUT_TOKENS);
      else if (block.toolUse) prefix.text(block, JSON.stringify(block.toolUse.input ?? {}));
      else if (block.toolResult) {
        const content = block.toolResult.content;
        prefix.add(
          block,
          countTokens(toolResultText(content)) +
            content.filter((part) => part.image).length * IMAGE_INPUT_TOKENS,
        );
      } else prefix.add(block, 0);
    }
  }
  return prefix.checkpoints();
}

function parseOutputSchema(body: ConverseRequestBody): unknown {
  const jsonSchema = body.outputConfig?.textFormat?.structure.jsonSchema;
  if (!jsonSchema) return undefined;
  try {
    const schema: unknown = JSON.parse(jsonSchema.schema);
    if (schema !== null && typeof schema === "object") return schema;
  } catch {
    // Worded below.
  }
  throw awsErrors.validation(
    "The schema in outputConfig.textFormat.structure.jsonSchema isn't a valid JSON Schema object. Fix the schema and try again.",
  );
}

function refuseBlock(kind: string): never {
  throw awsErrors.validation(
    `This model doesn't support the ${kind} content block that you provided. Update the content block and try again.`,
  );
}

function guardText(block: WireGuardText | undefined): string | undefined {
  return block?.text;
}

function toolResultText(content: readonly WireToolResultContent[]): string {
  return content
    .map((part) =>
      part.text !== undefined
        ? part.text
        : part.json !== undefined
          ? JSON.stringify(part.json)
          : (part.document?.source?.text ?? ""),
    )
    .filter((text) => text !== "")
    .join("\n");
}

/** The short model name Claude reports in its own errors, e.g. `claude-3-haiku-20240307`. */
function reportedClaudeName(model: CatalogModel): string {
  return model.modelId.replace(/^anthropic\./, "").replace(/-v\d+:\d+$/, "");
}
