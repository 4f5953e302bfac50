import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { notImplemented, type Implementation, type RpcClient } from './rpc.js';
import { serviceDefinition } from './proto.js';

/**
 * Compile-time checks of the typed RPC surface (never run): every line under a
 * `@ts-expect-error` must fail to type-check. If the wrapper stopped refusing one of them, the
 * directive would be unused and `tsc -b` would fail, so these hold at build time, not at run time.
 */
export async function typeChecks(
  agent: RpcClient<'AgentService'>,
  admin: RpcClient<'AdminService'>,
  impl: Implementation<'AgentService'>,
): Promise<unknown[]> {
  const out: unknown[] = [];
  // The accepted forms, for contrast: method, request and reply all typed.
  const g = await agent.unary('GetGuest', { guest: 'vm1' }, { deadlineMs: 1000 });
  const state: string = g.state;
  out.push(state, admin.serverStream('WatchOperation', { id: 'op' }), agent.duplex('Console'));

  // @ts-expect-error a method the service does not have (a renamed or mistyped RPC)
  out.push(await agent.unary('GetGuests', {}));
  // @ts-expect-error a request field the message does not have
  out.push(await agent.unary('GetGuest', { guest: 'vm1', node: 'vm1' }));
  // @ts-expect-error an enum value the proto does not define
  out.push(await agent.unary('Power', { guest: 'vm1', action: 'POWER_ACTION_FLY' }));
  // @ts-expect-error a server-streaming method called as unary
  out.push(await admin.unary('WatchOperation', { id: 'op' }));
  // @ts-expect-error a unary method called as a stream
  out.push(admin.serverStream('GetOperation', { id: 'op' }));
  // @ts-expect-error a reply field the message does not have
  out.push((await admin.unary('GetOperation', { id: 'op' })).progress);
  // @ts-expect-error a method of another service
  out.push(await agent.unary('ListHosts', {}));

  const { GetGuest: _dropped, ...withoutGetGuest } = impl;
  // @ts-expect-error a handler map that lacks a method
  const incomplete: Implementation<'AgentService'> = withoutGetGuest;
  const wrongRequest: Implementation<'AgentService'> = {
    ...impl,
    // @ts-expect-error a handler that reads a request of another type
    GetGuest: async (call: grpc.ServerUnaryCall<{ node: string }, unknown>) => ({ name: call.request.node }),
  };
  const wrongReply: Implementation<'AgentService'> = {
    ...impl,
    // @ts-expect-error a handler that answers with a field the reply does not have
    GetGuest: async () => ({ guestName: 'vm1' }),
  };
  out.push(incomplete, wrongRequest, wrongReply);
  return out;
}

test('rpc - every loaded service definition carries the methods the generated types name', () => {
  const agent = serviceDefinition('AgentService');
  assert.equal(agent.GetGuest.path, '/drover.v1.AgentService/GetGuest');
  assert.equal(agent.Console.requestStream && agent.Console.responseStream, true);
  const admin = serviceDefinition('AdminService');
  assert.equal(admin.WatchOperation.responseStream, true);
  assert.equal(admin.WatchOperation.requestStream, false);
  assert.equal(serviceDefinition('EnrollService').Enroll.path, '/drover.v1.EnrollService/Enroll');
});

test('rpc - notImplemented answers UNIMPLEMENTED naming the method', async () => {
  await assert.rejects(notImplemented('AgentService', 'SetPeers')(), (e: grpc.ServiceError) => {
    assert.equal(e.code, grpc.status.UNIMPLEMENTED);
    assert.equal(e.details, 'AgentService.SetPeers is not implemented');
    return true;
  });
});
