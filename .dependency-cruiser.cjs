/** Which way imports run (see the design outline). A wrong arrow fails `npm test`. */
module.exports = {
  forbidden: [
    {
      name: 'cli-only-contract',
      severity: 'error',
      comment: 'the CLI speaks gRPC to the server only',
      from: { path: '^packages/cli' },
      to: { path: '^packages/(server|agent|libvirt)|node_modules/(@drover/(server|agent|libvirt))' },
    },
    {
      name: 'server-not-agent',
      severity: 'error',
      comment: 'server and agent never import each other',
      from: { path: '^packages/server' },
      to: { path: '^packages/(agent|cli|libvirt)|node_modules/@drover/(agent|cli|libvirt)' },
    },
    {
      name: 'agent-not-server',
      severity: 'error',
      from: { path: '^packages/agent' },
      to: { path: '^packages/(server|cli)|node_modules/@drover/(server|cli)' },
    },
    { name: 'nothing-imports-cli', severity: 'error', from: { pathNot: '^packages/cli|^test/' }, to: { path: '^packages/cli' } },
    {
      name: 'contract-is-a-leaf',
      severity: 'error',
      from: { path: '^packages/contract' },
      to: { path: '^packages/(server|agent|cli|libvirt)' },
    },
    {
      name: 'scheduler-is-pure',
      severity: 'error',
      comment: 'the scheduler takes a snapshot and returns a plan: no sqlite, gRPC, NATS, fs, net, libvirt, clock',
      from: { path: '^packages/server/src/scheduler', pathNot: '\\.(test|bench)\\.ts$' },
      to: {
        path: '^packages/server/src/(?!scheduler)|node_modules|^(fs|net|child_process|dgram|http|https|worker_threads|timers)$|^node:',
      },
    },
    {
      name: 'noderange-is-pure',
      severity: 'error',
      from: { path: '^packages/server/src/noderange', pathNot: '\\.(test|bench)\\.ts$' },
      to: { path: '^packages/server/src/(?!noderange)|node_modules|^node:(?!assert|test)' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'generated protobuf types (google descriptors) refer to each other; written code may not, type-only imports included',
      from: { pathNot: '/generated/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)lib/|\\.d\\.ts$' },
    tsConfig: { fileName: 'tsconfig.base.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    includeOnly: '^packages/[^/]+/src|^test/src|node_modules/@drover|^node:|^(fs|net|child_process)$',
  },
};
