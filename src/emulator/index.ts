// `quarry/emulator`: a Bedrock endpoint the real AWS SDK talks to unchanged.

export { BUILTIN_MODELS } from "./catalog/builtin-models.js";
export type { CatalogModel } from "./catalog/catalog-model.js";
export type {
  EmulatorConfig,
  EmulatorConfigInput,
  FaultsConfig,
  GuardrailConfig,
  LatencyConfig,
  QuotaConfig,
  ScriptRule,
} from "./config/emulator-config.js";
export { loadEmulatorConfigFile, parseEmulatorConfig } from "./config/parse-emulator-config.js";
export type { Emulator, StartEmulatorOptions } from "./start-emulator.js";
export { startEmulator } from "./start-emulator.js";
export type { StatsSnapshot, TimelineSecond } from "./state/emulator-stats.js";
