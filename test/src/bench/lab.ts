/**
 * `npm run bench -- lab [--hosts 3] [--tls]`: bring-up of a lab with one counter guest per host,
 * then full teardown, timed per phase. Targets on a 2-core machine: up < 15 s, down < 10 s
 * (reported, never asserted). Last line: {"bench":"lab","up_s":..,"down_s":..}.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defineCounterGuest, readCount, startLab, waitForCount } from '../lab';
import { CACHE_DIR } from '../lab/state';

const s = (ms: number): number => Math.round(ms) / 1000;

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { hosts: { type: 'string', default: '3' }, tls: { type: 'boolean', default: false } },
    strict: true,
  });
  const hosts = Number(values.hosts);
  const capsDir = join(CACHE_DIR, 'qemu-capabilities');
  const capsWarm = existsSync(capsDir) && readdirSync(capsDir).some((f) => f.endsWith('.xml'));

  const t0 = Date.now();
  const lab = await startLab({ hosts, tls: values.tls ?? false, log: (l) => console.log(l) });
  const labUp = Date.now() - t0;
  let guestsMs = 0;
  let downMs = 0;
  let leftovers: string[] = [];
  try {
    const t1 = Date.now();
    await Promise.all(
      lab.hosts.map(async (h) => {
        const g0 = Date.now();
        await defineCounterGuest(h, `bench-${h.name}`);
        const started = Date.now() - g0;
        await waitForCount(h, `bench-${h.name}`, 1);
        console.log(`${h.name}: guest defined+started ${started} ms, first count after ${Date.now() - g0} ms`);
      }),
    );
    guestsMs = Date.now() - t1;
    for (const h of lab.hosts) console.log(`${h.name}: count ${readCount(h, `bench-${h.name}`)}`);
  } finally {
    const t2 = Date.now();
    const r = await lab.stop();
    downMs = Date.now() - t2;
    leftovers = r.leftovers;
  }
  const upMs = labUp + guestsMs;
  console.log(`qemu capability cache: ${capsWarm ? 'warm' : 'cold (first lab on this machine probes QEMU)'}`);
  console.log(
    `lab phases: ${Object.entries(lab.timings)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')}`,
  );
  for (const [name, t] of Object.entries(lab.hostTimings))
    console.log(
      `  ${name}: ${Object.entries(t)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  console.log(`up: lab ${s(labUp)} s + ${hosts} guests counting ${s(guestsMs)} s = ${s(upMs)} s (target < 15 s)`);
  console.log(`down: ${s(downMs)} s (target < 10 s)${leftovers.length ? `; LEFT: ${leftovers.join('; ')}` : ', nothing left'}`);
  console.log(
    JSON.stringify({
      bench: 'lab',
      hosts,
      tls: values.tls ?? false,
      caps_cache: capsWarm ? 'warm' : 'cold',
      up_s: s(upMs),
      lab_up_s: s(labUp),
      guests_s: s(guestsMs),
      down_s: s(downMs),
      leftovers: leftovers.length,
    }),
  );
}
