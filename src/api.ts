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
  base_url: string;
  account: IAccount;
  balance_usd: number | null;
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
  stalled: boolean;
  thumbnail: string | null;
}

export interface IPrompt {
  id: number;
  text: string;
  status: 'pending' | 'done' | 'failed';
  created_at: string | null;
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

/**
 * GET `astria-widgets/api/<endPoint>?<params>` with the server's credentials; an error
 * answer throws a `ResponseError` carrying the server's message.
 */
export async function requestAPI<T>(
  endPoint: string,
  params: Record<string, string> = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const query = new URLSearchParams(params).toString();
  const url =
    URLExt.join(settings.baseUrl, 'astria-widgets/api', endPoint) +
    (query ? `?${query}` : '');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, {}, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
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
