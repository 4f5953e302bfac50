/** Guest state names as admins read them. */
export function stateName(s: string): string {
  switch (s) {
    case 'POWER_STATE_ON': case 'POWER_STATE_BLOCKED': return 'on';
    case 'POWER_STATE_OFF': return 'off';
    case 'POWER_STATE_PAUSED': return 'paused';
    case 'POWER_STATE_CRASHED': return 'crashed';
    case 'POWER_STATE_SHUTTING_DOWN': return 'shutting-down';
    case 'POWER_STATE_PMSUSPENDED': return 'pmsuspended';
    default: return 'unknown';
  }
}
