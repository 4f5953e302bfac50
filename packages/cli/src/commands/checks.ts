/** An operation's pre-checks as the CLI prints them (dry runs, and checks that did not pass), and its `-o json` form. */
import type { Check__Output, CheckVerdict__Output, Operation__Output } from '@drover/contract';

const VERDICT_WORD: Record<CheckVerdict__Output, string> = {
  CHECK_VERDICT_UNSPECIFIED: '',
  CHECK_VERDICT_OK: 'ok',
  CHECK_VERDICT_WARNING: 'warning',
  CHECK_VERDICT_FAILED: 'FAILED',
};

/** A check as one line: `node: ok|warning|FAILED name[: message]`, or `warning: message` for the plan. */
export function checkLine(c: Check__Output): string {
  // A check journaled as text before checks were structured, in a form not recognised, is kept whole.
  if (c.verdict === 'CHECK_VERDICT_UNSPECIFIED') return c.message;
  const word = VERDICT_WORD[c.verdict];
  return `${c.node ? `${c.node}: ${word}` : word}${c.name ? ` ${c.name}` : ''}${c.message ? `: ${c.message}` : ''}`;
}

/**
 * An operation as `-o json` prints it, as it did when checks were text: the checks as their lines,
 * steps without the reason field, and the keys in the order they had (the repeated fields first,
 * as the decoder puts them, with checks between steps and unplaced).
 */
export function operationJson(op: Operation__Output): unknown {
  const { steps, checks, unplaced, ...rest } = op;
  return { steps: steps.map(({ reason: _reason, ...s }) => s), checks: checks.map(checkLine), unplaced, ...rest };
}
