import type { Dialect } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
import { anthropicMessages } from "./anthropic-messages.js";
import { cohereCommand } from "./cohere-command.js";
import { cohereCommandR } from "./cohere-command-r.js";
import { cohereEmbed } from "./cohere-embed.js";
import type { ModelDialect } from "./invocation-types.js";
import { llama } from "./llama.js";
import { mistral } from "./mistral.js";
import { novaMessages } from "./nova-messages.js";
import { stabilitySd3 } from "./stability-sd3.js";
import { stabilitySdxl } from "./stability-sdxl.js";
import { titanEmbed } from "./titan-embed.js";
import { titanImage } from "./titan-image.js";
import { titanText } from "./titan-text.js";

/** The InvokeModel body dialect of each family. */
const DIALECTS: Partial<Record<Dialect, ModelDialect>> = {
  "anthropic-messages": anthropicMessages,
  "nova-messages": novaMessages,
  llama,
  mistral,
  "titan-text": titanText,
  "cohere-command-r": cohereCommandR,
  "cohere-command": cohereCommand,
  "titan-embed": titanEmbed,
  "cohere-embed": cohereEmbed,
  "stability-sdxl": stabilitySdxl,
  "stability-sd3": stabilitySd3,
  "titan-image": titanImage,
};

/** The dialect a model speaks on InvokeModel. */
export function dialectFor(dialect: Dialect): ModelDialect {
  const found = DIALECTS[dialect];
  if (!found)
    throw awsErrors.validation(
      `The emulator does not implement the ${dialect} request format yet.`,
    );
  return found;
}
