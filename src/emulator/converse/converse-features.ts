import type { CatalogModel } from "../catalog/catalog-model.js";

// Which Converse features each model supports, after the Bedrock user guide's "Supported models
// and model features" table
// (https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-supported-models-features.html)
// and, for `toolChoice`, "ToolChoice is only supported by Anthropic Claude 3 models, Mistral
// Large and Amazon Nova" (ToolChoice API reference; Nova tool-use guide). Vision follows the
// catalog's input modalities. Where the table is not specific (streaming tool use for Llama and
// the older Mistral models) we follow what callers report Bedrock refusing.

/** The Converse features a model supports. */
export interface ConverseFeatures {
  readonly systemPrompts: boolean;
  readonly documentChat: boolean;
  readonly vision: boolean;
  readonly toolUse: boolean;
  readonly streamingToolUse: boolean;
  /** `toolChoice` `any` and `tool` (every tool-using model takes `auto`). */
  readonly forcedToolChoice: boolean;
}

/** The Converse features of a catalog model. */
export function converseFeatures(model: CatalogModel): ConverseFeatures {
  const id = model.modelId;
  const vision = model.inputModalities.includes("IMAGE");
  switch (model.dialect) {
    case "anthropic-messages":
    case "nova-messages":
      return {
        systemPrompts: true,
        documentChat: !id.includes("nova-micro"),
        vision,
        toolUse: true,
        streamingToolUse: true,
        forcedToolChoice: true,
      };
    case "llama": {
      // Llama 3.1 and later call tools; Llama 3 and the small 3.2 models do not.
      const toolUse = !/llama3-(8b|70b)|llama3-2-(1b|3b)/.test(id);
      return {
        systemPrompts: true,
        documentChat: true,
        vision,
        toolUse,
        streamingToolUse: false,
        forcedToolChoice: false,
      };
    }
    case "mistral": {
      const chat = /mistral-large|mistral-small/.test(id);
      return {
        systemPrompts: chat,
        documentChat: true,
        vision,
        toolUse: chat,
        streamingToolUse: id.includes("mistral-large-2407"),
        forcedToolChoice: id.includes("mistral-large"),
      };
    }
    case "cohere-command-r":
      return {
        systemPrompts: true,
        documentChat: true,
        vision,
        toolUse: true,
        streamingToolUse: false,
        forcedToolChoice: false,
      };
    case "titan-text":
      return {
        systemPrompts: false,
        documentChat: !id.includes("premier"),
        vision,
        toolUse: false,
        streamingToolUse: false,
        forcedToolChoice: false,
      };
    default:
      return {
        systemPrompts: false,
        documentChat: true,
        vision,
        toolUse: false,
        streamingToolUse: false,
        forcedToolChoice: false,
      };
  }
}
