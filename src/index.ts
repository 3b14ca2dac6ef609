// `quarry`: the library. Explicit named exports only.

export type { Clock } from "./clock/clock.js";
export { ManualClock } from "./clock/manual-clock.js";
export { systemClock } from "./clock/system-clock.js";
export type { QuarryErrorOptions } from "./errors/quarry-error.js";
export { QuarryError } from "./errors/quarry-error.js";
