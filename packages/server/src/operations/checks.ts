/**
 * An operation's pre-checks as structured `Check`s (proto: node, name, verdict, message): made
 * from the scheduler's results, the host checks of a dry run and the plan's warnings, and kept as
 * JSON in the journal. Pure.
 */
import type { Check__Output, CheckVerdict__Output } from '@drover/contract';
import type { CheckResult } from '../scheduler/index.js';

export function check(node: string, name: string, verdict: CheckVerdict__Output, message = ''): Check__Output {
  return { node, name, verdict, message };
}

/** A scheduler check of moving `node`: a passing one carries no message, a soft failure is a warning. */
export function schedulerCheck(node: string, c: CheckResult): Check__Output {
  if (c.pass) return check(node, c.check, 'CHECK_VERDICT_OK');
  return check(node, c.check, c.soft ? 'CHECK_VERDICT_WARNING' : 'CHECK_VERDICT_FAILED', c.message);
}

/** A warning about the whole plan (e.g. group members that had to share a host). */
export function planWarning(message: string): Check__Output {
  return check('', '', 'CHECK_VERDICT_WARNING', message);
}

const VERDICTS: Record<string, CheckVerdict__Output> = {
  ok: 'CHECK_VERDICT_OK',
  warning: 'CHECK_VERDICT_WARNING',
  FAILED: 'CHECK_VERDICT_FAILED',
};

/**
 * A check line as operations journaled before checks were structured (`node: ok|warning|FAILED
 * name[: message]`, or `warning: message` for the plan); a line of another form is kept whole as
 * the message of an unspecified verdict.
 */
export function legacyCheck(line: string): Check__Output {
  if (line.startsWith('warning: ')) return planWarning(line.slice('warning: '.length));
  const m = /^([^\s:]+): (ok|warning|FAILED) ([a-z-]+)(?:: ([\s\S]*))?$/.exec(line);
  if (!m) return check('', '', 'CHECK_VERDICT_UNSPECIFIED', line);
  return check(m[1]!, m[3]!, VERDICTS[m[2]!]!, m[4] ?? '');
}

/** The checks column of the journal as JSON text (see checksFrom). */
export function checksFromJson(text: unknown): Check__Output[] {
  let v: unknown;
  try {
    v = JSON.parse(String(text ?? '[]'));
  } catch {
    return [];
  }
  return checksFrom(v);
}

/** The checks of a journaled operation: structured checks, or the text lines of older operations. */
export function checksFrom(v: unknown): Check__Output[] {
  if (!Array.isArray(v)) return [];
  return v.map((c: unknown): Check__Output => {
    if (typeof c === 'string') return legacyCheck(c);
    const o = (c ?? {}) as Partial<Record<keyof Check__Output, unknown>>;
    const verdict = String(o.verdict ?? '');
    return check(
      String(o.node ?? ''),
      String(o.name ?? ''),
      (Object.values(VERDICTS).includes(verdict as CheckVerdict__Output) ? verdict : 'CHECK_VERDICT_UNSPECIFIED') as CheckVerdict__Output,
      String(o.message ?? ''),
    );
  });
}
