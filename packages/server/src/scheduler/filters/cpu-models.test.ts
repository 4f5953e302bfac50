import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuCompatible, modelRank, prepareHostCpu } from './cpu-models';

const host = (model: string, features: string[]) => prepareHostCpu({ model, features });

test('cpu - identical model and features are compatible', () => {
  const v = cpuCompatible({ model: 'Haswell', features: ['avx2', 'aes'] }, host('Haswell', ['avx2', 'aes']));
  assert.equal(v.ok, true);
  assert.deepEqual(v.missing, []);
  assert.equal(v.modelProblem, undefined);
});

test('cpu - a newer model with a feature superset is compatible', () => {
  const v = cpuCompatible({ model: 'Haswell', features: ['avx2'] }, host('Skylake-Server', ['avx2', 'avx512f', 'aes']));
  assert.equal(v.ok, true);
});

test('cpu - a missing feature is named and refused', () => {
  const v = cpuCompatible({ model: 'Haswell', features: ['avx2', 'aes', 'rdrand'] }, host('Broadwell', ['avx2', 'aes']));
  assert.equal(v.ok, false);
  assert.deepEqual(v.missing, ['rdrand']);
  assert.equal(v.modelProblem, undefined);
});

test('cpu - feature names compare case-insensitively', () => {
  assert.equal(cpuCompatible({ model: 'Haswell', features: ['AVX2'] }, host('Haswell', ['avx2'])).ok, true);
});

test('cpu - an older model in the same family is refused even with every feature', () => {
  const v = cpuCompatible({ model: 'Skylake-Server', features: ['avx2'] }, host('Haswell', ['avx2', 'avx512f']));
  assert.equal(v.ok, false);
  assert.match(v.modelProblem ?? '', /older than Skylake-Server in the intel order/);
});

test('cpu - intel and amd models are incompatible', () => {
  const v = cpuCompatible({ model: 'EPYC-Rome', features: [] }, host('Icelake-Server', []));
  assert.equal(v.ok, false);
  assert.match(v.modelProblem ?? '', /not in the amd family/);
});

test('cpu - variant suffixes rank as their base model', () => {
  assert.deepEqual(modelRank('Haswell-noTSX-IBRS'), modelRank('Haswell'));
  assert.equal(modelRank('EPYC-Milan-v2')?.base, 'EPYC-Milan');
  assert.equal(cpuCompatible({ model: 'Haswell-noTSX', features: [] }, host('Broadwell-IBRS', [])).ok, true);
  assert.equal(cpuCompatible({ model: 'Broadwell-IBRS', features: [] }, host('Haswell-noTSX', [])).ok, false);
});

test('cpu - a generic model runs on any intel or amd host but not on an older generic one', () => {
  assert.equal(cpuCompatible({ model: 'qemu64', features: ['sse2'] }, host('EPYC', ['sse2'])).ok, true);
  assert.equal(cpuCompatible({ model: 'kvm64', features: [] }, host('Nehalem', [])).ok, true);
  assert.equal(cpuCompatible({ model: 'x86-64-v3', features: [] }, host('x86-64-v2', [])).ok, false);
  assert.equal(cpuCompatible({ model: 'qemu64', features: [] }, host('x86-64-v2', [])).ok, true);
});

test('cpu - an unknown model is only compatible with the identical model', () => {
  assert.equal(cpuCompatible({ model: 'cortex-a72', features: [] }, host('cortex-a72', [])).ok, true);
  const v = cpuCompatible({ model: 'cortex-a72', features: [] }, host('neoverse-n1', []));
  assert.equal(v.ok, false);
  assert.match(v.modelProblem ?? '', /only an identical model qualifies/);
  assert.equal(cpuCompatible({ model: 'Haswell', features: [] }, host('neoverse-n1', [])).ok, false);
});

test('cpu - both a model problem and missing features are reported together', () => {
  const v = cpuCompatible({ model: 'Cascadelake-Server', features: ['avx512vnni'] }, host('Skylake-Server', ['avx512f']));
  assert.equal(v.ok, false);
  assert.ok(v.modelProblem);
  assert.deepEqual(v.missing, ['avx512vnni']);
});
