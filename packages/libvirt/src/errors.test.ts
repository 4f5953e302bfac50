import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorDomain, ErrorNumber } from './generated/virterror';
import { invoke, LibvirtError, toLibvirtError } from './errors';

function nativeError(code: number, message: string): Error {
  return Object.assign(new Error(message), { libvirt: true, code, domain: ErrorDomain.QEMU, level: 2, int1: 0, int2: 0 });
}

test('libvirt errors - native failures become LibvirtError with code, domain and operation', () => {
  const e = toLibvirtError(nativeError(ErrorNumber.NO_DOMAIN, 'Domain not found'), 'Connection.lookupDomainByName');
  assert.ok(e instanceof LibvirtError);
  assert.equal(e.code, ErrorNumber.NO_DOMAIN);
  assert.equal(e.codeName, 'NO_DOMAIN');
  assert.equal(e.domain, ErrorDomain.QEMU);
  assert.equal(e.operation, 'Connection.lookupDomainByName');
  assert.equal(e.name, 'LibvirtError');
});

test('libvirt errors - other errors pass through unchanged', () => {
  const t = new TypeError('bad');
  assert.equal(toLibvirtError(t, 'x'), t);
});

async function callerFrameMarker(): Promise<unknown> {
  return invoke('Test.op', () => Promise.reject(nativeError(ErrorNumber.OPERATION_INVALID, 'nope'))).catch((e: unknown) => e);
}

test('libvirt errors - invoke keeps the stack of the calling code', async () => {
  const e = await callerFrameMarker();
  assert.ok(e instanceof LibvirtError);
  assert.match(e.stack ?? '', /callerFrameMarker/);
  assert.match(e.stack ?? '', /^LibvirtError: nope \[OPERATION_INVALID in Test.op\]/);
});

test('libvirt errors - invoke turns synchronous throws into rejections', async () => {
  await assert.rejects(
    invoke('Test.sync', () => {
      throw nativeError(ErrorNumber.INVALID_CONN, 'closed');
    }),
    (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.INVALID_CONN,
  );
});
