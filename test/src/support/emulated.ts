/**
 * Tests whose migrations are the fleet simulator's emulation (drover-agent simulate: the libvirt
 * test driver cannot migrate, so the job is a timed stand-in; every part around it is real). A
 * green run of these says nothing about libvirt's migration: `scripts/test.mjs` names them on an
 * `emulated:` line before the integration tier. The fleet test file checks after each of its tests
 * that a test which ran migrations is listed here, so the list cannot fall behind.
 */
export interface EmulatedTest {
  /** the compiled file, as the runner prints it */
  file: string;
  /** the test's name */
  test: string;
}

export const EMULATED_MIGRATION_TESTS: readonly EmulatedTest[] = [
  { file: 'test/lib/integration/fleet.test.js', test: 'fleet - revacuate through the CLI completes on the simulator' },
];

/** Whether the test named `test` in `file` is listed as running emulated migrations. */
export function isEmulated(file: string, test: string): boolean {
  return EMULATED_MIGRATION_TESTS.some((t) => t.file === file && t.test === test);
}
