import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DomainEventStoppedDetailType,
  DomainEventType,
  DomainJobType,
  DomainPausedReason,
  DomainShutoffReason,
  DomainState,
} from './generated/libvirt-domain';
import { describeState, lifecycleNames, toJobStats, toNativeParams, unpackVersion } from './types';

test('libvirt types - versions unpack from libvirt packed numbers', () => {
  assert.deepEqual(unpackVersion(9000000), { major: 9, minor: 0, release: 0, number: 9000000 });
  assert.deepEqual(unpackVersion(7002001), { major: 7, minor: 2, release: 1, number: 7002001 });
});

test('libvirt types - state reasons are named by the state they belong to', () => {
  assert.deepEqual(describeState(DomainState.PAUSED, DomainPausedReason.MIGRATION), {
    state: DomainState.PAUSED,
    reason: DomainPausedReason.MIGRATION,
    stateName: 'PAUSED',
    reasonName: 'MIGRATION',
  });
  assert.equal(describeState(DomainState.SHUTOFF, DomainShutoffReason.MIGRATED).reasonName, 'MIGRATED');
  assert.equal(describeState(99, 7).stateName, '99');
});

test('libvirt types - lifecycle details are named per event', () => {
  assert.deepEqual(lifecycleNames(DomainEventType.STOPPED, DomainEventStoppedDetailType.MIGRATED), {
    eventName: 'STOPPED',
    detailName: 'MIGRATED',
  });
  assert.deepEqual(lifecycleNames(DomainEventType.STARTED, 1), { eventName: 'STARTED', detailName: 'MIGRATED' });
});

test('libvirt types - job stats map libvirt field names to camelCase and keep the raw set', () => {
  const raw = {
    operation: 4,
    time_elapsed: 1200,
    data_total: 100,
    data_processed: 40,
    memory_dirty_rate: 7,
    memory_postcopy_requests: 2,
    success: true,
    errmsg: 'x',
    'future.field': 1,
  };
  const s = toJobStats(DomainJobType.UNBOUNDED, raw);
  assert.equal(s.type, DomainJobType.UNBOUNDED);
  assert.equal(s.timeElapsed, 1200);
  assert.equal(s.dataTotal, 100);
  assert.equal(s.dataProcessed, 40);
  assert.equal(s.memoryDirtyRate, 7);
  assert.equal(s.memoryPostcopyRequests, 2);
  assert.equal(s.success, true);
  assert.equal(s.errmsg, 'x');
  assert.equal(s.raw, raw);
});

test('libvirt types - migration parameters become typed libvirt parameters', () => {
  assert.deepEqual(
    toNativeParams({
      migrateUri: 'tcp://10.0.0.2',
      bandwidth: 100,
      migrateDisks: ['vda', 'vdb'],
      autoConvergeInitial: 20,
      autoConvergeIncrement: 10,
      compression: ['xbzrle'],
      destName: undefined,
    }),
    [
      { name: 'migrate_uri', type: 'string', value: 'tcp://10.0.0.2' },
      { name: 'bandwidth', type: 'ullong', value: 100 },
      { name: 'migrate_disks', type: 'string', value: 'vda' },
      { name: 'migrate_disks', type: 'string', value: 'vdb' },
      { name: 'auto_converge.initial', type: 'int', value: 20 },
      { name: 'auto_converge.increment', type: 'int', value: 10 },
      { name: 'compression', type: 'string', value: 'xbzrle' },
    ],
  );
  assert.throws(() => toNativeParams({ bandwidth: -5 }), TypeError);
  assert.throws(() => toNativeParams({ bandwidth: Number.NaN }), TypeError);
  assert.throws(() => toNativeParams({ destXml: 3 as unknown as string }), TypeError);
  assert.throws(() => toNativeParams({ nope: 1 } as never), /unknown migration parameter 'nope'/);
});
