import { Api, loadBundle } from './client.js';

/** Runs a command body with a connected API client and closes it afterwards. */
export async function withApi<T>(fn: (api: Api) => Promise<T>): Promise<T> {
  const api = new Api(loadBundle());
  try {
    return await fn(api);
  } finally {
    api.close();
  }
}
