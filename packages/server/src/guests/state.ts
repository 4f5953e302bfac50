/** Words for guest states as admins read them (xCAT's rpower stat answers). */
import { powerStateWord, type PowerState } from '@drover/contract';

/** Power state words (one definition, shared with the CLI). */
export const stateWord = (s: PowerState | string | undefined): string => powerStateWord(typeof s === 'number' ? undefined : s, 'phrase');

/** Active means holding memory on its host: running, paused, shutting down, pm-suspended. */
export function isActive(s: PowerState | string | undefined): boolean {
  return (
    s === 'POWER_STATE_ON' ||
    s === 'POWER_STATE_BLOCKED' ||
    s === 'POWER_STATE_PAUSED' ||
    s === 'POWER_STATE_SHUTTING_DOWN' ||
    s === 'POWER_STATE_PMSUSPENDED'
  );
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function boundedAll<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
