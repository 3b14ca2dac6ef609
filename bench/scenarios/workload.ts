// The one workload every contestant runs: N templated prompts, one per record, each with a
// stable id. The template is filled from small word lists so that prompts differ (the emulator
// picks each reply's length from the prompt) while staying alike in size. No prompt names a
// length ("in 50 words"), which the emulator would honour.

/** One record: its id and its prompt. */
export interface WorkItem {
  readonly id: string;
  readonly prompt: string;
}

const TEMPLATE =
  "Write a product description for {name}, a {category} made by {brand}. Mention its {feature}, " +
  "say who it is for, and keep the tone {tone}. Reply with the description only.";

const NAMES = ["Aurora", "Basalt", "Cinder", "Drift", "Ember", "Fjord", "Gale", "Harbor", "Iris"];
const CATEGORIES = ["desk lamp", "trail shoe", "rain jacket", "coffee grinder", "backpack"];
const BRANDS = ["Northwind", "Quarrystone", "Bluefield", "Oakridge", "Lumen & Co"];
const FEATURES = ["battery life", "recycled materials", "weight", "warranty", "quiet motor"];
const TONES = ["friendly", "formal", "playful", "concise"];

function pick<T>(list: readonly T[], index: number, stride: number): T {
  return list[Math.floor(index / stride) % list.length]!;
}

/** The template filled for one record. */
export function promptFor(index: number): string {
  const values: Record<string, string> = {
    name: `${pick(NAMES, index, 1)} ${index + 1}`,
    category: pick(CATEGORIES, index, 3),
    brand: pick(BRANDS, index, 7),
    feature: pick(FEATURES, index, 2),
    tone: pick(TONES, index, 5),
  };
  return TEMPLATE.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!);
}

/** `count` records with ids `r0`, `r1`, ... */
export function makeWorkload(count: number): WorkItem[] {
  const items: WorkItem[] = [];
  for (let index = 0; index < count; index++)
    items.push({ id: `r${index}`, prompt: promptFor(index) });
  return items;
}
