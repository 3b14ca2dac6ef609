// `quarry/testing`: what users import in their own tests.

export { ManualClock } from "../clock/manual-clock.js";
export type { Emulator, StartEmulatorOptions } from "../emulator/start-emulator.js";
export { startEmulator } from "../emulator/start-emulator.js";
