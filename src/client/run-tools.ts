import { QuarryError } from "../errors/quarry-error.js";
import type {
  ContentPart,
  Message,
  ToolCall,
  ToolDefinition,
  ToolResultPart,
} from "../models/model-codec.js";
import { type ConverseCallRequest, type ConverseOutcome, converseOnce } from "./converse.js";
import type { QuarryContext } from "./quarry-context.js";
import { type SchemaValidator, schemaValidator } from "./schema-validator.js";
import type { TextCallRequest } from "./text-call.js";
import { toTextRequest } from "./text-call.js";
import type { ToolSet } from "./tool-set.js";

const DEFAULT_MAX_STEPS = 8;

/** One local tool run within a step. */
export interface ToolRun {
  readonly toolCallId: string;
  readonly toolName: string;
  readonly input: unknown;
  /** What the tool returned, when it succeeded. */
  readonly output?: unknown;
  /** Why it failed (bad input, unknown tool, or the error it threw), sent back to the model. */
  readonly error?: string;
}

/** One model call of the loop and the tools it asked for. */
export interface ToolStep {
  /** 1 for the first model call. */
  readonly stepNumber: number;
  readonly outcome: ConverseOutcome;
  readonly toolRuns: readonly ToolRun[];
}

/** A tool loop request: a Converse call whose `tools` are local functions. */
export interface RunToolsRequest extends Omit<ConverseCallRequest, "tools"> {
  readonly tools: ToolSet;
  /** @default 8 */
  readonly maxSteps?: number;
  /** Called after each step (e.g. for progress). */
  readonly onStep?: (step: ToolStep) => void;
}

/** The loop's end: the last model outcome, every step, and why it stopped. */
export type ToolLoopOutcome = ConverseOutcome & {
  readonly steps: readonly ToolStep[];
  /** `answered`: the model stopped asking for tools; `step-limit`: `maxSteps` was reached. */
  readonly finishReason: "answered" | "step-limit" | "blocked";
  /** The whole conversation, ready to continue. */
  readonly messages: readonly Message[];
};

/**
 * Converse with local tools: whenever the model asks for tools, runs them (input checked
 * against each tool's schema first), sends the results (or errors) back, and repeats until the
 * model answers or `maxSteps` model calls were made. Every model call is scheduled like any other.
 */
export async function runTools(
  context: QuarryContext,
  request: RunToolsRequest,
): Promise<ToolLoopOutcome> {
  const maxSteps = request.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new QuarryError(
      "input.maxSteps",
      `maxSteps must be a positive integer; got ${String(maxSteps)}.`,
    );
  const { definitions, validators } = compileTools(request.tools);
  const base = toTextRequest({ ...request, tools: undefined } as TextCallRequest);
  const messages: Message[] = [...base.messages];
  const steps: ToolStep[] = [];
  const { tools: _tools, maxSteps: _maxSteps, onStep, prompt: _prompt, ...rest } = request;

  for (let stepNumber = 1; ; stepNumber++) {
    const outcome = await converseOnce(context, {
      ...rest,
      messages: [...messages],
      tools: definitions,
    });
    if (outcome.blocked) {
      const step: ToolStep = { stepNumber, outcome, toolRuns: [] };
      steps.push(step);
      onStep?.(step);
      return { ...outcome, steps, finishReason: "blocked", messages };
    }
    messages.push({ role: "assistant", content: outcome.content });
    const wantsTools = outcome.toolCalls.length > 0 && outcome.stopReason === "tool_use";
    if (!wantsTools || stepNumber >= maxSteps) {
      const step: ToolStep = { stepNumber, outcome, toolRuns: [] };
      steps.push(step);
      onStep?.(step);
      return {
        ...outcome,
        steps,
        finishReason: wantsTools ? "step-limit" : "answered",
        messages,
      };
    }
    request.signal?.throwIfAborted();
    const toolRuns = await Promise.all(
      outcome.toolCalls.map((call) =>
        runTool(call, request.tools, validators, [...messages], request.signal),
      ),
    );
    const step: ToolStep = { stepNumber, outcome, toolRuns };
    steps.push(step);
    onStep?.(step);
    messages.push({ role: "user", content: toolRuns.map(toResultPart) });
  }
}

function compileTools(tools: ToolSet): {
  definitions: ToolDefinition[];
  validators: Map<string, SchemaValidator>;
} {
  if (tools === null || typeof tools !== "object" || Object.keys(tools).length === 0)
    throw new QuarryError(
      "input.tools",
      "tools must be an object of local tools by name, e.g. { getWeather: { inputSchema, execute } }.",
    );
  const definitions: ToolDefinition[] = [];
  const validators = new Map<string, SchemaValidator>();
  for (const [name, tool] of Object.entries(tools)) {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name))
      throw new QuarryError(
        "input.tools",
        `Tool name "${name}" must be 1–64 letters, digits, underscores or hyphens (Bedrock's rule).`,
      );
    if (typeof tool?.execute !== "function")
      throw new QuarryError("input.tools", `Tool "${name}" needs an execute function.`);
    let validator: SchemaValidator;
    try {
      validator = schemaValidator(tool.inputSchema, `tools.${name}.inputSchema`);
    } catch (error) {
      throw new QuarryError("input.tools", (error as Error).message);
    }
    validators.set(name, validator);
    definitions.push({
      name,
      ...(tool.description ? { description: tool.description } : {}),
      inputSchema: validator.jsonSchema,
    });
  }
  return { definitions, validators };
}

async function runTool(
  call: ToolCall,
  tools: ToolSet,
  validators: ReadonlyMap<string, SchemaValidator>,
  messages: readonly Message[],
  signal: AbortSignal | undefined,
): Promise<ToolRun> {
  const base = { toolCallId: call.toolCallId, toolName: call.toolName, input: call.input };
  const tool = tools[call.toolName];
  const validator = validators.get(call.toolName);
  if (!tool || !validator)
    return {
      ...base,
      error: `There is no tool named "${call.toolName}". Available: ${Object.keys(tools).join(", ")}.`,
    };
  const check = validator.check(call.input);
  if (!check.ok) return { ...base, error: `Invalid input for ${call.toolName}: ${check.message}` };
  try {
    const output = await tool.execute(check.value, {
      toolCallId: call.toolCallId,
      messages,
      signal,
    });
    return { ...base, output };
  } catch (error) {
    if (signal?.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return { ...base, error: `${call.toolName} failed: ${message}` };
  }
}

function toResultPart(run: ToolRun): ContentPart {
  const part: ToolResultPart =
    run.error !== undefined
      ? {
          type: "tool-result",
          toolCallId: run.toolCallId,
          toolName: run.toolName,
          content: run.error,
          isError: true,
        }
      : {
          type: "tool-result",
          toolCallId: run.toolCallId,
          toolName: run.toolName,
          content:
            typeof run.output === "string"
              ? run.output
              : { type: "json", value: run.output === undefined ? null : run.output },
        };
  return part;
}
