/** Where a failed call was going, for the error the user sees. */
export interface FailureContext {
  readonly model: string;
  readonly operation: string;
  readonly region: string;
  readonly recordId?: string;
}

/** The error a failed call surfaces as. */
export function describeFailure(error: unknown, _context: FailureContext): unknown {
  return error;
}
