/** A small fetch wrapper for the Arbiter API: bearer token, JSON, and errors as values with codes. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | undefined | null | false>;

export interface ApiClient {
  get<T>(path: string, query?: Query): Promise<T>;
  text(path: string): Promise<string>;
  post<T>(path: string, body: unknown): Promise<T>;
}

function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== false && value !== '')
      params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: unknown };
    };
    if (body.error?.code)
      return new ApiError(
        response.status,
        body.error.code,
        body.error.message ?? response.statusText,
        body.error.details,
      );
  } catch {
    // not a JSON error body
  }
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    `${response.status} ${response.statusText}`,
  );
}

/**
 * How the dashboard proves who it is: a bearer token the person pasted, or the sign-in session
 * cookie (sent by the browser itself) with the session's CSRF token on state-changing requests.
 */
export type Credential = { token: string } | { csrfToken: string };

/** A client that sends `credential`; `onUnauthorized` runs when the server no longer accepts it. */
export function createApiClient(
  credential: Credential | string,
  onUnauthorized: (error: ApiError) => void = () => {},
): ApiClient {
  const using: Credential = typeof credential === 'string' ? { token: credential } : credential;
  async function request(method: string, path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: {
          ...('token' in using
            ? { authorization: `Bearer ${using.token}` }
            : method === 'GET'
              ? {}
              : { 'x-arbiter-csrf': using.csrfToken }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new ApiError(0, 'NETWORK', `the server cannot be reached (${(cause as Error).message})`);
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401) onUnauthorized(error);
      throw error;
    }
    return response;
  }
  return {
    get: async (path, query) => (await request('GET', withQuery(path, query))).json(),
    text: async (path) => (await request('GET', path)).text(),
    post: async (path, body) => (await request('POST', path, body)).json(),
  };
}
