/** A source of uniform random numbers in [0, 1); injectable so tests can pin the jitter. */
export type Random = () => number;

export interface BackoffOptions {
  /** The first attempt's ceiling, in ms. */
  readonly base: number;
  /** The largest ceiling, in ms, however many attempts have failed. */
  readonly cap: number;
  /** @default Math.random */
  readonly random?: Random;
}

/**
 * Capped exponential backoff with full jitter:
 * `sleep = random_between(0, min(cap, base × 2^attempt))`, with `attempt` counted from 0.
 * Full jitter spreads clients that failed together, so they do not retry together.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function backoff(attempt: number, options: BackoffOptions): number {
  const { base, cap } = options;
  const random = options.random ?? Math.random;
  // 2^attempt overflows to Infinity for large attempts; min() keeps the cap.
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return random() * ceiling;
}

/** Checks backoff options eagerly, naming the option at fault. */
export function validateBackoff(options: BackoffOptions, name: string): void {
  if (!Number.isFinite(options.base) || options.base < 0)
    throw new RangeError(`${name}.base must be a finite number ≥ 0 (ms); got ${options.base}`);
  if (!(options.cap >= options.base))
    throw new RangeError(`${name}.cap must be ≥ ${name}.base (ms); got ${options.cap}`);
}
