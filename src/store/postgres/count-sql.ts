/**
 * SQL pieces for statements that count their own moves in `count_deltas`
 * (see counters.ts): the bulk paths (enqueue, claim, completion,
 * promotion, retention) add one delta row per queue from the rows they
 * changed, which costs a few µs a statement, where a row trigger costs
 * ~10 µs a row. They set `qworker.counted` first, so the jobs triggers
 * leave their rows alone.
 */

export const STATES = ["waiting", "delayed", "active", "completed", "failed", "cancelled"] as const;
export type CountedState = (typeof STATES)[number];

export const DELTA_COLUMNS = `queue, ${STATES.join(", ")}`;

/** The setting the triggers read: 'on' while the current statement counts its own moves. */
export const COUNTED_SETTING = "qworker.counted";

/** Inside a PL/pgSQL function: counts are this function's job from here on. Pair with restoreCounted. */
export const SET_COUNTED = `PERFORM set_config('${COUNTED_SETTING}', 'on', true);`;

/** Gives the setting back its value at the function's start (declared as `prev_counted`), e.g. for reserve() calling promote_due(). */
export const RESTORE_COUNTED = `PERFORM set_config('${COUNTED_SETTING}', coalesce(prev_counted, ''), true);`;

/** The DECLARE line that goes with RESTORE_COUNTED. */
export const DECLARE_PREV_COUNTED = `prev_counted text := current_setting('${COUNTED_SETTING}', true);`;

/** A FROM item that sets the flag for a single statement's transaction (its rows are joined to it, so it is set before any row changes). */
export const COUNTED_HERE = `(SELECT set_config('${COUNTED_SETTING}', 'on', true)) AS counted_here`;

/** INSERT of the moves of `source`'s rows (columns queue, state): `sign` 1 entered their state, -1 left the table. */
export function countRows(schema: string, source: string, sign: 1 | -1): string {
  const neg = sign < 0 ? "-" : "";
  return `INSERT INTO ${schema}.count_deltas (${DELTA_COLUMNS})
      SELECT ${source}.queue, ${STATES.map((st) => `${neg}count(*) FILTER (WHERE ${source}.state = '${st}')`).join(", ")} FROM ${source} GROUP BY ${source}.queue`;
}

/** INSERT of one move of every row of `source` (column queue) from one state to another. */
export function countMove(schema: string, source: string, from: CountedState, to: CountedState): string {
  const cell = (st: CountedState) => (st === from ? "-count(*)" : st === to ? "count(*)" : "0");
  return `INSERT INTO ${schema}.count_deltas (${DELTA_COLUMNS})
      SELECT ${source}.queue, ${STATES.map(cell).join(", ")} FROM ${source} GROUP BY ${source}.queue`;
}
