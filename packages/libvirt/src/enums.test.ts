// The generated enums (src/generated/, npm run gen) against libvirt's own API description, read
// here at test time: a generator that mis-maps a value, drops a constant or files it under the wrong
// type fails these tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import * as lv from './index';

interface XmlEnum {
  name: string;
  value: string;
  type: string;
  file: string;
}

function apiXmlPath(): string {
  const r = spawnSync('pkg-config', ['--variable=libvirt_api', 'libvirt'], { encoding: 'utf8' });
  const path = (r.status === 0 && r.stdout.trim()) || '/usr/share/libvirt/api/libvirt-api.xml';
  assert.ok(existsSync(path), `${path} is missing: install libvirt-dev (bash scripts/bootstrap.sh)`);
  return path;
}

const constants: XmlEnum[] = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && name === 'enum',
}).parse(readFileSync(apiXmlPath(), 'utf8')).api.symbols.enum;
const byName = new Map(constants.map((c) => [c.name, c]));

/** The number libvirt gives a constant (some are defined as another constant). */
function xmlValue(name: string): number {
  const c = byName.get(name);
  assert.ok(c, `libvirt-api.xml has no ${name}`);
  return /^-?[0-9]+$/.test(c.value) ? Number(c.value) : xmlValue(c.value);
}

const enums = lv as unknown as Record<string, Record<string, number | string> | undefined>;

test('libvirt enums - named members carry the value libvirt gives their constant', () => {
  const cases: [number, string][] = [
    [lv.DomainMigrateFlags.LIVE, 'VIR_MIGRATE_LIVE'],
    [lv.DomainMigrateFlags.PEER2PEER, 'VIR_MIGRATE_PEER2PEER'],
    [lv.DomainMigrateFlags.ABORT_ON_ERROR, 'VIR_MIGRATE_ABORT_ON_ERROR'],
    [lv.ErrorNumber.NO_DOMAIN, 'VIR_ERR_NO_DOMAIN'],
    [lv.ErrorNumber.CPU_INCOMPATIBLE, 'VIR_ERR_CPU_INCOMPATIBLE'],
    [lv.ErrorNumber.WAR_NO_NETWORK, 'VIR_WAR_NO_NETWORK'],
    [lv.ErrorDomain.QEMU, 'VIR_FROM_QEMU'],
    [lv.ErrorLevel.ERROR, 'VIR_ERR_ERROR'],
    [lv.DomainState.RUNNING, 'VIR_DOMAIN_RUNNING'],
    [lv.DomainShutoffReason.DESTROYED, 'VIR_DOMAIN_SHUTOFF_DESTROYED'],
    [lv.DomainEventType.STOPPED, 'VIR_DOMAIN_EVENT_STOPPED'],
    [lv.DomainEventStoppedDetailType.MIGRATED, 'VIR_DOMAIN_EVENT_STOPPED_MIGRATED'],
    [lv.DomainJobType.COMPLETED, 'VIR_DOMAIN_JOB_COMPLETED'],
    [lv.DomainCreateFlags.START_PAUSED, 'VIR_DOMAIN_START_PAUSED'],
    [lv.DomainDeviceModifyFlags.LIVE, 'VIR_DOMAIN_DEVICE_MODIFY_LIVE'],
    [lv.CPUCompareResult.ERROR, 'VIR_CPU_COMPARE_ERROR'],
    [lv.ConnectCloseReason.KEEPALIVE, 'VIR_CONNECT_CLOSE_REASON_KEEPALIVE'],
    [lv.StoragePoolBuildFlags.NO_OVERWRITE, 'VIR_STORAGE_POOL_BUILD_NO_OVERWRITE'],
    [lv.StreamRecvFlagsValues.STOP_AT_HOLE, 'VIR_STREAM_RECV_STOP_AT_HOLE'],
  ];
  for (const [value, constant] of cases) assert.equal(value, xmlValue(constant), constant);
  // The values the binding's callers rely on, as libvirt documents them.
  assert.deepEqual(
    [xmlValue('VIR_MIGRATE_LIVE'), xmlValue('VIR_ERR_NO_DOMAIN'), xmlValue('VIR_DOMAIN_RUNNING')],
    [lv.DomainMigrateFlags.LIVE, lv.ErrorNumber.NO_DOMAIN, lv.DomainState.RUNNING],
  );
  assert.deepEqual([lv.DomainMigrateFlags.LIVE, lv.ErrorNumber.NO_DOMAIN, lv.DomainState.RUNNING], [1, 42, 1]);
});

test('libvirt enums - values read back to the names drover compares (event, state, error names)', () => {
  assert.equal(lv.ErrorNumber[xmlValue('VIR_ERR_NO_DOMAIN')], 'NO_DOMAIN');
  assert.equal(lv.DomainState[xmlValue('VIR_DOMAIN_SHUTOFF')], 'SHUTOFF');
  assert.equal(lv.DomainEventType[xmlValue('VIR_DOMAIN_EVENT_CRASHED')], 'CRASHED');
  assert.equal(lv.DomainEventStoppedDetailType[xmlValue('VIR_DOMAIN_EVENT_STOPPED_MIGRATED')], 'MIGRATED');
  assert.equal(lv.ConnectCloseReason[xmlValue('VIR_CONNECT_CLOSE_REASON_EOF')], 'EOF');
});

test("libvirt enums - every enum of the wrapped headers is exported with exactly libvirt's values", () => {
  const headers = ['libvirt-common', 'libvirt-host', 'libvirt-domain', 'libvirt-storage', 'libvirt-stream', 'virterror'];
  const want = new Map<string, number[]>();
  for (const c of constants) {
    if (!headers.includes(c.file) || c.name.endsWith('_LAST')) continue;
    want.set(c.type, [...(want.get(c.type) ?? []), xmlValue(c.name)]);
  }
  assert.ok(want.size > 100, `only ${want.size} enum types read from libvirt-api.xml`);
  for (const [type, values] of want) {
    const e = enums[type.replace(/^vir/, '')];
    assert.ok(e, `${type} is not exported as ${type.replace(/^vir/, '')}`);
    const have = Object.values(e).filter((v): v is number => typeof v === 'number');
    const sort = (a: number[]) => [...a].sort((x, y) => x - y);
    assert.deepEqual(sort(have), sort(values), type);
  }
});
