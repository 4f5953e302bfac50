/** `npm run bench -- scheduler`: planning one evacuation on a synthetic 2,000-host, 40,000-guest cluster. */
import { join } from 'node:path';

export async function run(args: string[]): Promise<void> {
  const m = require(join(__dirname, '../../../packages/server/lib/scheduler/plan.bench.js')) as { run(a: string[]): Promise<void> };
  await m.run(args);
}
