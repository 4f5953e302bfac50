import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeGuestCpu, guestCpuXml } from './cpu.js';
import { readXml } from '../domain/xml.js';

const HOST = { cpuModel: 'Skylake-Client-IBRS', cpuFeatures: ['avx2', 'pcid'] };
const dom = (type: string, cpu: string): string => `<domain type='${type}'><name>g1</name>${cpu}<devices/></domain>`;

test("cpu - a running guest's live CPU: the model and the features it requires, not the ones it forbids or disables", () => {
  // As libvirt shows a running TCG guest started without a <cpu> element.
  const tcg = dom(
    'qemu',
    `<cpu mode='custom' match='exact' check='full'><model fallback='forbid'>qemu64</model>
    <feature policy='require' name='lahf_lm'/><feature policy='require' name='hypervisor'/></cpu>`,
  );
  assert.deepEqual(describeGuestCpu(tcg, HOST), { hvType: 'qemu', mode: 'custom', model: 'qemu64', features: ['hypervisor', 'lahf_lm'] });
  const mixed = dom(
    'kvm',
    `<cpu mode='custom' match='exact'><model>Haswell-noTSX</model><vendor>Intel</vendor>
    <feature policy='force' name='vmx'/><feature name='aes'/><feature policy='disable' name='hle'/><feature policy='forbid' name='rtm'/><feature policy='optional' name='x2apic'/></cpu>`,
  );
  assert.deepEqual(describeGuestCpu(mixed, HOST), { hvType: 'kvm', mode: 'custom', model: 'Haswell-noTSX', features: ['aes', 'vmx'] });
});

test("cpu - host-model not yet expanded stands for the host's CPU; host-passthrough and no <cpu> give no model", () => {
  assert.deepEqual(describeGuestCpu(dom('kvm', `<cpu mode='host-model'/>`), HOST), {
    hvType: 'kvm',
    mode: 'custom',
    model: 'Skylake-Client-IBRS',
    features: ['avx2', 'pcid'],
  });
  assert.deepEqual(describeGuestCpu(dom('kvm', `<cpu mode='host-passthrough' check='none'/>`), HOST), {
    hvType: 'kvm',
    mode: 'host-passthrough',
    model: '',
    features: [],
  });
  assert.deepEqual(describeGuestCpu(dom('xen', ''), HOST), { hvType: 'xen', mode: '', model: '', features: [] });
  assert.deepEqual(describeGuestCpu(dom('qemu', `<cpu mode='maximum'/>`), HOST), {
    hvType: 'qemu',
    mode: 'host-passthrough',
    model: '',
    features: [],
  });
  assert.throws(() => describeGuestCpu('<network/>', HOST), /no <domain> element/);
});

test('cpu - the description handed to libvirt requires the model (no fallback) and every feature, escaped', () => {
  const c = readXml(guestCpuXml('Haswell', ['pcid', 'avx2'])).cpu as Record<string, unknown>;
  assert.equal(c['@_mode'], 'custom');
  assert.equal(c['@_match'], 'minimum');
  assert.deepEqual(c.model, { '@_fallback': 'forbid', '#text': 'Haswell' });
  assert.deepEqual(c.feature, [
    { '@_policy': 'require', '@_name': 'avx2' },
    { '@_policy': 'require', '@_name': 'pcid' },
  ]);
  assert.equal((readXml(guestCpuXml(`a<b&'c`, [])).cpu as { model: { '#text': string } }).model['#text'], `a<b&'c`);
  assert.doesNotMatch(guestCpuXml('qemu64', []), /feature/);
});
