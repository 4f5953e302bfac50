/** Host liveness from heartbeat age (pure). */
export type HostLiveness = 'up' | 'stale' | 'down';

export interface Thresholds {
  staleAfterMs: number;
  downAfterMs: number;
}

export function classify(lastSeenMs: number, nowMs: number, t: Thresholds): HostLiveness {
  if (lastSeenMs <= 0) return 'down';
  const age = nowMs - lastSeenMs;
  if (age < t.staleAfterMs) return 'up';
  if (age < t.downAfterMs) return 'stale';
  return 'down';
}
