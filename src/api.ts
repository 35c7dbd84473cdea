/**
 * The server extension's API (`astria-widgets/api/...`) and the shapes it answers.
 * The server decides every status, progress and time; the panel only renders them.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IAccount {
  id: number | null;
  name: string | null;
  email: string | null;
}

export interface IStatus {
  api: 'sandbox' | 'astria';
  /** True when this Jupyter server started the local sandbox (as a process of its own). */
  sandbox_started: boolean;
  account: IAccount;
  /** The balance in millicents, as the API states it. */
  balance_mc: number | null;
  /** The balance as the panel shows it (the server's one money formatter), e.g. "$98.50". */
  balance: string | null;
  refresh_seconds: number;
  list_interval: number;
  synced_seconds_ago: number | null;
  sync_error: string | null;
  watching: number;
}

export interface ITuneRow {
  id: number;
  title: string;
  name: string;
  branch: string;
  created_at: string | null;
  status: 'queued' | 'training' | 'trained' | 'failed' | 'expired';
  progress: number | null;
  seconds_left: number | null;
  /** What to show beside the bar of a queued or training tune ("3m 05s left", "queued",
   * "overdue", "training"), as the server words it; null otherwise. */
  time_left: string | null;
  stalled: boolean;
  /** The route (under `astria-widgets/api`) of the tune's first image, or null. */
  thumbnail: string | null;
}

export interface IPrompt {
  id: number;
  text: string;
  status: 'pending' | 'done' | 'failed';
  created_at: string | null;
  /** The routes (under `astria-widgets/api`) of its images. */
  images: string[];
  error: string | null;
}

export interface ITuneDetail extends ITuneRow {
  fields: [string, unknown][];
  prompts: IPrompt[];
}

export interface ITunePage {
  tunes: ITuneRow[];
  next_before_id: number | null;
}

export interface IRunRow {
  run_id: string;
  kind: 'training' | 'sweep' | 'pack' | 'compare';
  label: string;
  created_at: string | null;
  done: boolean;
  /** "6 prompts · $0.1380 · 3 liked", as the server words it. */
  summary: string;
}

export interface IRunList {
  runs: IRunRow[];
}

/** GET `astria-widgets/api/<endPoint>?<params>` with the server's credentials (its token
 * header, as every JupyterLab request). */
async function get(
  endPoint: string,
  params: Record<string, string>,
  init: RequestInit = {}
): Promise<Response> {
  const settings = ServerConnection.makeSettings();
  const query = new URLSearchParams(params).toString();
  const url =
    URLExt.join(settings.baseUrl, 'astria-widgets/api', endPoint) +
    (query ? `?${query}` : '');
  try {
    return await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
}

/**
 * A picture route's answer (a small JPEG the server made from the API's image) as a Blob.
 * An `<img src>` could not send the token header, so pictures are fetched like the JSON and
 * shown through `URL.createObjectURL`; the browser's HTTP cache keeps them (`private`).
 */
export async function requestImage(
  endPoint: string,
  params: Record<string, string> = {}
): Promise<Blob> {
  // the browser's HTTP cache may answer (JupyterLab's default, `no-store`, adds a
  // cache-busting query to every GET)
  const response = await get(endPoint, params, { cache: 'default' });
  if (!response.ok) {
    throw new ServerConnection.ResponseError(response);
  }
  return response.blob();
}

/**
 * GET `astria-widgets/api/<endPoint>?<params>` with the server's credentials; an error
 * answer throws a `ResponseError` carrying the server's message.
 */
export async function requestAPI<T>(
  endPoint: string,
  params: Record<string, string> = {}
): Promise<T> {
  const response = await get(endPoint, params);
  const text = await response.text();
  let data: any = text;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: keep the text for the message
  }
  if (!response.ok) {
    const message =
      data && typeof data === 'object' && data.error ? data.error : text;
    throw new ServerConnection.ResponseError(response, message);
  }
  return data as T;
}
