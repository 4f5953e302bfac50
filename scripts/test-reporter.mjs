// A node:test reporter for scripts/test.mjs: one JSON line per finished test (suites left out),
// {"file", "name", "status"} where name is the test's full path ("parent › child") and status is
// pass, fail, cancelled, skip or todo. The runner counts, names skipped tests and finds flaky ones
// from these lines; the spec reporter next to it is what a person reads.
export default async function* droverReporter(source) {
  // Per file, the names of the tests started and not yet finished, by nesting level.
  const open = new Map();
  for await (const e of source) {
    if (e.type !== 'test:start' && e.type !== 'test:pass' && e.type !== 'test:fail') continue;
    const d = e.data;
    const file = d.file ?? '';
    let stack = open.get(file);
    if (!stack) open.set(file, (stack = []));
    if (e.type === 'test:start') {
      stack.length = d.nesting;
      stack[d.nesting] = d.name;
      continue;
    }
    stack.length = Math.min(stack.length, d.nesting);
    if (d.details?.type === 'suite') continue;
    const status = d.todo
      ? 'todo'
      : d.skip
        ? 'skip'
        : e.type === 'test:pass'
          ? 'pass'
          : d.details?.error?.failureType === 'cancelledByParent'
            ? 'cancelled'
            : 'fail';
    yield `${JSON.stringify({ file, name: [...stack.slice(0, d.nesting), d.name].join(' › '), status })}\n`;
  }
}
