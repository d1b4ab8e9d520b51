// A few typed calls to the API for seeding tests and benchmarks (the same HTTP a client would use).
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private token?: string,
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<ApiClient> {
    const client = new ApiClient(baseUrl);
    const res = await client.call<{ accessToken: string }>('POST', '/auth/login', { username, password });
    client.token = res.accessToken;
    return client;
  }

  get bearer(): string {
    if (!this.token) throw new Error('not signed in');
    return this.token;
  }

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    return (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  }

  createUser(username: string, password: string, roles: string[]) {
    return this.call('POST', '/users', { username, password, roles, reason: 'test fixture' });
  }
}

/**
 * Imports the shipped phantom dataset from the API's import root and creates one label task per
 * image (one rater each, falling priority so the queue order is the CSV order). Returns image ids in that order.
 */
export async function seedPhantomTasks(operator: ApiClient, csvName: string, count: number): Promise<{ imageIds: string[]; taskIds: string[] }> {
  await operator.call('POST', '/imports/datasets/server-path', { path: csvName, reason: 'test fixture: phantom dataset' });
  const images = await operator.call<{ items: { imageId: string }[] }>('GET', '/images?limit=500');
  const imageIds = images.items.slice(0, count).map((i) => i.imageId);
  const taskIds: string[] = [];
  for (const [i, imageId] of imageIds.entries()) {
    const task = await operator.call<{ taskId: string }>('POST', '/tasks', { imageId, priority: 500 - i, ratersWanted: 1, reason: 'test fixture: label task' });
    taskIds.push(task.taskId);
  }
  return { imageIds, taskIds };
}
