/** A tiny grpc.health.v1 client for tests (loads the health proto shipped with grpc-health-check). */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { dirname, join } from 'node:path';
import { clientOptions } from '@drover/contract';

export const HealthClient = {
  async check(address: string, creds: grpc.ChannelCredentials): Promise<string> {
    const dir = dirname(require.resolve('grpc-health-check/package.json'));
    const def = protoLoader.loadSync(join(dir, 'proto/health/v1/health.proto'), { enums: String });
    const svc = def['grpc.health.v1.Health'];
    if (!svc || 'format' in svc) throw new Error('health.proto: no service grpc.health.v1.Health');
    const m = svc.Check!;
    const cl = new grpc.Client(address, creds, clientOptions('drover-server'));
    try {
      return await new Promise<string>((res, rej) =>
        cl.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, { service: '' }, { deadline: Date.now() + 5000 }, (e, v) =>
          e ? rej(e) : res(String((v as { status?: string } | undefined)?.status)),
        ),
      );
    } finally {
      cl.close();
    }
  },
};
