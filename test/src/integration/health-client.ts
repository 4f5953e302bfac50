/** A tiny grpc.health.v1 client for tests (loads the health proto shipped with grpc-health-check). */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { dirname, join } from 'node:path';
import { clientOptions } from '@drover/contract';

export const HealthClient = {
  async check(address: string, creds: grpc.ChannelCredentials): Promise<string> {
    const dir = dirname(require.resolve('grpc-health-check/package.json'));
    const def = protoLoader.loadSync(join(dir, 'proto/health/v1/health.proto'), { enums: String });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: typeof grpc.Client } } } };
    const cl = new pkg.grpc.health.v1.Health(address, creds, clientOptions('drover-server'));
    try {
      return await new Promise<string>((res, rej) =>
        (cl as unknown as { Check: (r: object, o: grpc.CallOptions, cb: (e: Error | null, v: { status: string }) => void) => void }).Check(
          { service: '' },
          { deadline: Date.now() + 5000 },
          (e, v) => (e ? rej(e) : res(v.status)),
        ),
      );
    } finally {
      cl.close();
    }
  },
};
