/**
 * A guest's power state (the PowerState enum's name) as admins read it. `phrase` is for
 * `node: result` lines (rpower stat); `column` is one word for tables (lsvm).
 */
export function powerStateWord(s: string | undefined, form: 'phrase' | 'column' = 'phrase'): string {
  switch (s) {
    case 'POWER_STATE_ON':
    case 'POWER_STATE_BLOCKED':
      return 'on';
    case 'POWER_STATE_OFF':
      return 'off';
    case 'POWER_STATE_PAUSED':
      return 'paused';
    case 'POWER_STATE_CRASHED':
      return 'crashed';
    case 'POWER_STATE_SHUTTING_DOWN':
      return form === 'column' ? 'shutting-down' : 'on (shutting down)';
    case 'POWER_STATE_PMSUSPENDED':
      return 'pmsuspended';
    default:
      return 'unknown';
  }
}
