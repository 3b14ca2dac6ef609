// Amazon Nova understanding models (messages-v1) on InvokeModel / InvokeModelWithResponseStream.
// https://docs.aws.amazon.com/nova/latest/nova2-userguide/request-response-schema.html
// https://docs.aws.amazon.com/nova/latest/nova2-userguide/using-invoke-api.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
import { IMAGE_INPUT_TOKENS } from "../operations/model-invocation.js";
import { CachePrefix, ttlOf } from "../state/cache-prefix.js";
import { countTokens } from "../state/count-tokens.js";
import type { CacheCheckpoint } from "../state/prompt-cache.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import { invocationMetricsPayload } from "./invocation-metrics-payload.js";
import type {
  Generation,
  InvocationMetrics,
  RenderContext,
  StopReason,
  StreamChunk,
  TextCall,
  TextDialect,
  ToolCall,
  ToolSpec,
  Turn,
} from "./invocation-types.js";
import { splitIntoDeltas } from "./split-deltas.js";

const mediaSource = {
  type: "object",
  properties: {
    bytes: { type: "string" },
    s3Location: { type: "object", required: ["uri"], properties: { uri: { type: "string" } } },
  },
};

const contentBlock = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  properties: {
    text: { type: "string" },
    image: {
      type: "object",
      required: ["format", "source"],
      properties: { format: { enum: ["jpeg", "png", "gif", "webp"] }, source: mediaSource },
    },
    video: {
      type: "object",
      required: ["format", "source"],
      properties: {
        format: { enum: ["mkv", "mov", "mp4", "webm", "three_gp", "flv", "mpeg", "mpg", "wmv"] },
        source: mediaSource,
      },
    },
    audio: { type: "object", required: ["format", "source"] },
    document: { type: "object", required: ["format", "name", "source"] },
    toolUse: {
      type: "object",
      required: ["toolUseId", "name", "input"],
      properties: { toolUseId: { type: "string" }, name: { type: "string" } },
    },
    toolResult: {
      type: "object",
      required: ["toolUseId", "content"],
      properties: { toolUseId: { type: "string" }, content: { type: "array" } },
    },
    reasoningContent: { type: "object" },
    cachePoint: { type: "object" },
  },
};

function schemaFor(model: CatalogModel): object {
  const maxTokens = { type: "integer", minimum: 1, maximum: model.maxOutputTokens };
  const unit = { type: "number", minimum: 0, maximum: 1 };
  return {
    type: "object",
    required: ["messages"],
    additionalProperties: false,
    properties: {
      schemaVersion: { enum: ["messages-v1"] },
      system: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          properties: { text: { type: "string" }, cachePoint: { type: "object" } },
        },
      },
      messages: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          required: ["role", "content"],
          additionalProperties: false,
          properties: {
            role: { enum: ["user", "assistant"] },
            content: { type: "array", minItems: 1, items: contentBlock },
          },
        },
      },
      inferenceConfig: {
        type: "object",
        additionalProperties: false,
        properties: {
          // The Nova 1 guide spells these in snake case, the Nova 2 guide in camel case;
          // Bedrock takes both.
          maxTokens: maxTokens,
          max_new_tokens: maxTokens,
          temperature: unit,
          topP: unit,
          top_p: unit,
          topK: { type: "integer", minimum: 0 },
          top_k: { type: "integer", minimum: 0 },
          stopSequences: { type: "array", items: { type: "string" } },
          reasoningConfig: { type: "object" },
        },
      },
      toolConfig: {
        type: "object",
        required: ["tools"],
        additionalProperties: false,
        properties: {
          tools: {
            type: "array",
            minItems: 1,
            items: {
              type: "object",
              additionalProperties: false,
              properties: {
                toolSpec: {
                  type: "object",
                  required: ["name", "inputSchema"],
                  additionalProperties: false,
                  properties: {
                    name: { type: "string" },
                    description: { type: "string" },
                    inputSchema: {
                      type: "object",
                      required: ["json"],
                      properties: { json: { type: "object" } },
                    },
                  },
                },
                cachePoint: { type: "object" },
              },
            },
          },
          toolChoice: {
            type: "object",
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 1,
            properties: {
              auto: { type: "object" },
              any: { type: "object" },
              tool: {
                type: "object",
                required: ["name"],
                properties: { name: { type: "string" } },
              },
            },
          },
        },
      },
    },
  };
}

interface NovaBlock {
  text?: string;
  image?: unknown;
  video?: unknown;
  audio?: unknown;
  document?: unknown;
  toolUse?: { toolUseId: string; name: string; input: unknown };
  toolResult?: { toolUseId: string; content: { text?: string; json?: unknown }[] };
  /** A cache point, alone or on a text block (closing the prefix after the text). */
  cachePoint?: unknown;
}

interface NovaRequest {
  system?: { text?: string; cachePoint?: unknown }[];
  messages: { role: "user" | "assistant"; content: NovaBlock[] }[];
  inferenceConfig?: {
    maxTokens?: number;
    max_new_tokens?: number;
    temperature?: number;
    stopSequences?: string[];
  };
  toolConfig?: {
    tools: {
      toolSpec?: { name: string; description?: string; inputSchema: { json: unknown } };
      cachePoint?: unknown;
    }[];
    toolChoice?: { auto?: object; any?: object; tool?: { name: string } };
  };
}

const STOP_REASONS: Record<StopReason, string> = {
  end_turn: "end_turn",
  tool_use: "tool_use",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  guardrail_intervened: "guardrail_intervened",
  content_filtered: "content_filtered",
};

/** Amazon Nova's `messages-v1` InvokeModel body. */
export const novaMessages: TextDialect = {
  output: "text",

  parseRequest(body, model): TextCall {
    cachedBodyCheck(`nova:${model.maxOutputTokens}`, () => schemaFor(model))(body);
    const request = body as NovaRequest;
    const config = request.inferenceConfig ?? {};
    if (config.maxTokens !== undefined && config.max_new_tokens !== undefined) {
      throw awsErrors.validation(
        "inferenceConfig: give either maxTokens or max_new_tokens, not both.",
      );
    }
    if (request.messages[0]!.role !== "user") {
      throw awsErrors.validation(
        "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
      );
    }
    const acceptsImages = model.inputModalities.includes("IMAGE");

    const texts: string[] = [];
    const system = (request.system ?? [])
      .map((block) => block.text ?? "")
      .filter(Boolean)
      .join("\n");
    if (system) texts.push(system);

    let imageCount = 0;
    const turns: Turn[] = request.messages.map((message) => {
      // Text blocks join with a newline, except across a cache point, which marks a place in
      // the prompt and adds no text.
      const text: string[] = [];
      const toolCalls: ToolCall[] = [];
      const toolResults: { toolUseId: string; text: string }[] = [];
      let afterCachePoint = false;
      for (const block of message.content) {
        if (block.text !== undefined) {
          if (afterCachePoint && text.length > 0) text[text.length - 1] += block.text;
          else text.push(block.text);
        } else if (block.image || block.video || block.audio || block.document) {
          if (!acceptsImages) {
            throw awsErrors.validation(
              `The model ${model.modelId} accepts text only; remove the image, video, audio and document blocks.`,
            );
          }
          imageCount++;
        } else if (block.toolUse) {
          toolCalls.push({
            id: block.toolUse.toolUseId,
            name: block.toolUse.name,
            input: block.toolUse.input,
          });
          texts.push(JSON.stringify(block.toolUse.input));
        } else if (block.toolResult) {
          const resultText = block.toolResult.content
            .map((part) => part.text ?? (part.json !== undefined ? JSON.stringify(part.json) : ""))
            .join("\n");
          toolResults.push({ toolUseId: block.toolResult.toolUseId, text: resultText });
          texts.push(resultText);
        }
        afterCachePoint = block.cachePoint !== undefined;
      }
      texts.push(...text);
      return { role: message.role, text: text.join("\n"), toolCalls, toolResults };
    });

    const tools: ToolSpec[] = (request.toolConfig?.tools ?? []).flatMap((tool) =>
      tool.toolSpec
        ? [
            {
              name: tool.toolSpec.name,
              ...(tool.toolSpec.description !== undefined
                ? { description: tool.toolSpec.description }
                : {}),
              inputSchema: tool.toolSpec.inputSchema.json,
            },
          ]
        : [],
    );
    for (const tool of tools)
      texts.push(tool.name, tool.description ?? "", JSON.stringify(tool.inputSchema));
    const choice = request.toolConfig?.toolChoice;
    const cachePoints = cachePointsOf(request);

    return {
      kind: "text",
      system,
      turns,
      promptText: texts.join("\n"),
      maxTokens: config.maxTokens ?? config.max_new_tokens ?? model.defaultMaxTokens,
      stopSequences: config.stopSequences ?? [],
      tools,
      toolChoice: choice?.tool
        ? { type: "tool", name: choice.tool.name }
        : choice?.any
          ? { type: "any" }
          : { type: tools.length ? "auto" : "none" },
      imageCount,
      ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
      ...(cachePoints ? { cachePoints } : {}),
    };
  },

  renderResponse(generation: Generation, context: RenderContext) {
    const content: unknown[] = [];
    if (generation.text || generation.toolCalls.length === 0)
      content.push({ text: generation.text });
    for (const call of generation.toolCalls)
      content.push({ toolUse: { toolUseId: call.id, name: call.name, input: call.input } });
    return {
      output: { message: { content, role: "assistant" } },
      stopReason: STOP_REASONS[generation.stopReason],
      usage: usageOf(generation, context.metrics),
    };
  },

  renderStream(generation: Generation, context: RenderContext): StreamChunk[] {
    const chunks: StreamChunk[] = [
      { outputTokens: 0, payload: { messageStart: { role: "assistant" } } },
    ];
    let index = 0;
    if (generation.text || generation.toolCalls.length === 0) {
      for (const delta of splitIntoDeltas(generation.text)) {
        chunks.push({
          outputTokens: delta.tokens,
          payload: { contentBlockDelta: { delta: { text: delta.text }, contentBlockIndex: index } },
        });
      }
      chunks.push({ outputTokens: 0, payload: { contentBlockStop: { contentBlockIndex: index } } });
      index++;
    }
    for (const call of generation.toolCalls) {
      chunks.push({
        outputTokens: 0,
        payload: {
          contentBlockStart: {
            start: { toolUse: { toolUseId: call.id, name: call.name } },
            contentBlockIndex: index,
          },
        },
      });
      const json = JSON.stringify(call.input);
      chunks.push({
        outputTokens: Math.max(1, Math.round(json.length / 4)),
        payload: {
          contentBlockDelta: { delta: { toolUse: { input: json } }, contentBlockIndex: index },
        },
      });
      chunks.push({ outputTokens: 0, payload: { contentBlockStop: { contentBlockIndex: index } } });
      index++;
    }
    chunks.push({
      outputTokens: 0,
      final: true,
      payload: { messageStop: { stopReason: STOP_REASONS[generation.stopReason] } },
    });
    chunks.push({
      outputTokens: 0,
      final: true,
      payload: {
        metadata: { usage: usageOf(generation, context.metrics), metrics: {}, trace: {} },
        "amazon-bedrock-invocationMetrics": invocationMetricsPayload(context.metrics),
      },
    });
    return chunks;
  },
};

/**
 * Nova's `usage`: `inputTokens` is the input not read from nor written to the prompt cache, and
 * the cache counts follow under Nova's own names (`...TokenCount`).
 */
function usageOf(generation: Generation, metrics: InvocationMetrics) {
  const read = metrics.cache?.readTokens ?? 0;
  const write = metrics.cache?.writeTokens ?? 0;
  return {
    inputTokens: metrics.inputTokens,
    outputTokens: generation.outputTokens,
    totalTokens: metrics.inputTokens + read + write + generation.outputTokens,
    cacheReadInputTokenCount: read,
    cacheWriteInputTokenCount: write,
  };
}

/**
 * The request's cache checkpoints, measured in cache order (tools, system, messages) and
 * counted as `parseRequest` counts the input; undefined when it places none. A `cachePoint` on
 * a text block closes the prefix after that text, as in the AWS InvokeModel example.
 */
function cachePointsOf(request: NovaRequest): readonly CacheCheckpoint[] | undefined {
  const tools = request.toolConfig?.tools ?? [];
  const marked =
    tools.some((tool) => tool.cachePoint !== undefined) ||
    (request.system ?? []).some((block) => block.cachePoint !== undefined) ||
    request.messages.some((message) =>
      message.content.some((block) => block.cachePoint !== undefined),
    );
  if (!marked) return undefined;
  const prefix = new CachePrefix();
  prefix.field("tools");
  for (const tool of tools) {
    if (tool.toolSpec) {
      const spec = tool.toolSpec;
      prefix.add(
        spec,
        countTokens(spec.name) +
          countTokens(spec.description ?? "") +
          countTokens(JSON.stringify(spec.inputSchema.json)),
      );
    }
    if (tool.cachePoint !== undefined) prefix.mark("tools", ttlOf(tool.cachePoint));
  }
  prefix.field("system");
  for (const block of request.system ?? []) {
    prefix.text(block.text ?? "", block.text ?? "");
    if (block.cachePoint !== undefined) prefix.mark("system", ttlOf(block.cachePoint));
  }
  prefix.field("messages");
  for (const message of request.messages) {
    prefix.add(message.role, 0);
    for (const block of message.content) {
      const { cachePoint, ...part } = block;
      if (block.text !== undefined) prefix.text(part, block.text);
      else if (block.image || block.video || block.audio || block.document)
        prefix.add(part, IMAGE_INPUT_TOKENS);
      else if (block.toolUse) prefix.text(part, JSON.stringify(block.toolUse.input));
      else if (block.toolResult)
        prefix.text(
          part,
          block.toolResult.content
            .map((item) => item.text ?? (item.json !== undefined ? JSON.stringify(item.json) : ""))
            .join("\n"),
        );
      if (cachePoint !== undefined) prefix.mark("messages", ttlOf(cachePoint));
    }
  }
  return prefix.checkpoints();
}
