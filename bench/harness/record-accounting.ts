// Exactly-once accounting of a contestant's results against the input ids: every input record
// must end as exactly one result (ok or failed); an id with none is lost, an id with several is
// duplicated. A run cut at its deadline has not lost its missing ids, only left them unfinished.

/** One result a contestant reported for an input id. */
export interface RecordResult {
  readonly id: string;
  readonly ok: boolean;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** The stop reason as the contestant's library reports it. */
  readonly stopReason?: string;
  /** Why it failed: the error's name and message. */
  readonly error?: string;
}

/** What became of the input records. */
export interface RecordAccount {
  /** Ids with an ok result. */
  readonly ok: number;
  /** Ids whose only results are failures. */
  readonly failed: number;
  /** Ids with no result in a run that finished. */
  readonly lost: number;
  /** Ids with no result because the run was cut at its deadline. */
  readonly unfinished: number;
  /** Ids with more than one result. */
  readonly duplicated: number;
  /** Results for ids that were never input. */
  readonly unknown: number;
  /** The first ok result of each id, for usage and goodput. */
  readonly okResults: readonly RecordResult[];
  /** Failure reasons, most frequent first. */
  readonly failureReasons: readonly { readonly reason: string; readonly count: number }[];
}

/** Accounts results against input ids; `cutAtDeadline` says missing ids are unfinished, not lost. */
export function accountRecords(
  inputIds: readonly string[],
  results: readonly RecordResult[],
  cutAtDeadline: boolean,
): RecordAccount {
  const byId = new Map<string, RecordResult[]>();
  for (const id of inputIds) byId.set(id, []);
  let unknown = 0;
  for (const result of results) {
    const list = byId.get(result.id);
    if (list) list.push(result);
    else unknown++;
  }
  let ok = 0;
  let failed = 0;
  let missing = 0;
  let duplicated = 0;
  const okResults: RecordResult[] = [];
  const reasons = new Map<string, number>();
  for (const list of byId.values()) {
    if (list.length === 0) {
      missing++;
      continue;
    }
    if (list.length > 1) duplicated++;
    const success = list.find((result) => result.ok);
    if (success) {
      ok++;
      okResults.push(success);
    } else {
      failed++;
      const reason = list[list.length - 1]!.error ?? "unknown";
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  return {
    ok,
    failed,
    lost: cutAtDeadline ? 0 : missing,
    unfinished: cutAtDeadline ? missing : 0,
    duplicated,
    unknown,
    okResults,
    failureReasons: [...reasons]
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count),
  };
}
