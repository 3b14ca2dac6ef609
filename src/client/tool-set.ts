import type { Message } from "../models/model-codec.js";
import type { SchemaInput } from "./schema-validator.js";

/** What a local tool's `execute` is given besides its input. */
export interface ToolExecutionContext {
  /** The model's id for this call, to echo in logs. */
  readonly toolCallId: string;
  /** The conversation so far, ending with the assistant message that asked for the tool. */
  readonly messages: readonly Message[];
  /** Aborts when the conversation is aborted. */
  readonly signal: AbortSignal | undefined;
}

/** A local TypeScript function the model may call. */
export interface LocalTool<TInput = unknown> {
  readonly description?: string;
  /** The arguments: a zod schema or a JSON Schema object. The model's input is checked first. */
  readonly inputSchema: SchemaInput;
  /**
   * Runs the tool. A string is sent back as text, anything else as JSON; a thrown error is sent
   * back as an error result so the model can react to it.
   */
  execute(input: TInput, context: ToolExecutionContext): unknown | Promise<unknown>;
}

/** Local tools by name. */
export type ToolSet = Readonly<Record<string, LocalTool>>;
