/**
 * A compact map from record id to a few 32-bit words, for millions of ids.
 *
 * Why not a `Set<string>`: a `Set` pays for each id's string (header and characters) and its
 * hash-table slot — `bench/jobs-memory.ts` measured 172 bytes per 20-character id on a million
 * ids — and the journal needs a few numbers per id besides. This table keeps only a
 * 64-bit hash of each id in open-addressed typed arrays: 8 bytes of key, 4 per word and 1 of
 * occupancy per slot, the table 35–70% full — 19–37 bytes per id with one word (27 measured on
 * a million ids), whatever the id's length.
 *
 * The price is that two different ids whose 64-bit hashes collide are taken for the same id. For
 * n ids the chance of any collision is about n²/2⁶⁵ (3 in 100 million for a million ids). Callers
 * that act on "already seen" keep a second, independent check — the journal stores a hash of the
 * whole row beside each id, so a collision shows up as "row changed", never as a record silently
 * skipped.
 */
export class IdIndex {
  /** Number of 32-bit words stored per id. */
  readonly words: number;
  #capacity: number;
  #mask: number;
  #size = 0;
  /** Two words per slot: the id's hash, high then low. */
  #keys: Uint32Array;
  /** `words` words per slot. */
  #values: Uint32Array;
  /** 1 where a slot is taken. */
  #used: Uint8Array;

  /**
   * @param words how many 32-bit words to keep per id. @default 0
   * @param expected how many ids to size the table for at first; it grows as needed. @default 1024
   */
  constructor(options: { readonly words?: number; readonly expected?: number } = {}) {
    const words = options.words ?? 0;
    if (!Number.isInteger(words) || words < 0 || words > 8)
      throw new RangeError(`IdIndex words must be an integer from 0 to 8, got ${String(words)}`);
    this.words = words;
    this.#capacity = capacityFor(options.expected ?? 1024);
    this.#mask = this.#capacity - 1;
    this.#keys = new Uint32Array(this.#capacity * 2);
    this.#values = new Uint32Array(this.#capacity * words);
    this.#used = new Uint8Array(this.#capacity);
  }

  /** How many distinct ids the index holds. */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table's arrays (for measurements). */
  get byteLength(): number {
    return this.#keys.byteLength + this.#values.byteLength + this.#used.byteLength;
  }

  /** The slot of `id`, or -1 when absent. Slots stay valid until the next `insert`. */
  find(id: string): number {
    hashId(id);
    return this.#probe(hashHigh, hashLow, false);
  }

  /**
   * The slot of `id`, adding it (with its words zeroed) when absent. `inserted` tells which.
   * Slots of other ids may move when the table grows, so re-`find` them after an insert.
   */
  insert(id: string): { readonly slot: number; readonly inserted: boolean } {
    if ((this.#size + 1) * 10 > this.#capacity * 7) this.#grow();
    hashId(id);
    const found = this.#probe(hashHigh, hashLow, false);
    if (found >= 0) return { slot: found, inserted: false };
    const slot = this.#probe(hashHigh, hashLow, true);
    this.#used[slot] = 1;
    this.#keys[slot * 2] = hashHigh;
    this.#keys[slot * 2 + 1] = hashLow;
    this.#size++;
    return { slot, inserted: true };
  }

  /** True when `id` is in the index. */
  has(id: string): boolean {
    return this.find(id) >= 0;
  }

  /** Word `word` of the id in `slot`. */
  get(slot: number, word: number): number {
    return this.#values[slot * this.words + word]!;
  }

  /** Sets word `word` of the id in `slot` (an unsigned 32-bit value). */
  set(slot: number, word: number, value: number): void {
    this.#values[slot * this.words + word] = value;
  }

  /** Calls `visit` with each taken slot. */
  forEachSlot(visit: (slot: number) => void): void {
    for (let slot = 0; slot < this.#capacity; slot++) if (this.#used[slot] === 1) visit(slot);
  }

  #probe(high: number, low: number, forInsert: boolean): number {
    let slot = mix(low ^ high) & this.#mask;
    for (;;) {
      if (this.#used[slot] === 0) return forInsert ? slot : -1;
      if (!forInsert && this.#keys[slot * 2] === high && this.#keys[slot * 2 + 1] === low)
        return slot;
      slot = (slot + 1) & this.#mask;
    }
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldValues = this.#values;
    const oldUsed = this.#used;
    const oldCapacity = this.#capacity;
    this.#capacity *= 2;
    this.#mask = this.#capacity - 1;
    this.#keys = new Uint32Array(this.#capacity * 2);
    this.#values = new Uint32Array(this.#capacity * this.words);
    this.#used = new Uint8Array(this.#capacity);
    for (let old = 0; old < oldCapacity; old++) {
      if (oldUsed[old] === 0) continue;
      const high = oldKeys[old * 2]!;
      const low = oldKeys[old * 2 + 1]!;
      const slot = this.#probe(high, low, true);
      this.#used[slot] = 1;
      this.#keys[slot * 2] = high;
      this.#keys[slot * 2 + 1] = low;
      for (let word = 0; word < this.words; word++)
        this.#values[slot * this.words + word] = oldValues[old * this.words + word]!;
    }
  }
}

/** A read-only view of a set of ids (what the journal hands out as `completedIds()`). */
export interface ReadonlyIdSet {
  has(id: string): boolean;
  readonly size: number;
}

function capacityFor(expected: number): number {
  let capacity = 16;
  while (capacity * 7 < Math.max(1, expected) * 10) capacity *= 2;
  return capacity;
}

// The last hash computed, in two module-level numbers so that hashing allocates nothing.
let hashHigh = 0;
let hashLow = 0;

/**
 * Two independent 32-bit hashes of the id's UTF-16 code units (FNV-1a and a multiply-xorshift
 * lane with another seed), each finished with MurmurHash3's avalanche: a 64-bit hash.
 */
function hashId(id: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  hashHigh = mix(a) >>> 0;
  hashLow = mix(b ^ 0x27d4eb2f) >>> 0;
}

/** MurmurHash3's 32-bit finaliser. */
function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
