/**
 * The panel's pictures: small JPEGs from the server extension's picture routes, fetched with
 * the server's credentials and shown through object URLs. The page never holds a URL of the
 * Astria API or of the sandbox: on Binder, a JupyterHub or a remote server the browser could
 * not reach them, and only the Jupyter server has the key.
 */
import { requestImage } from './api';

/** `thumb`: the list's and detail's pictures; `large`: the copy a click opens. */
export type PictureSize = 'thumb' | 'large';

const KEPT = 400; // object URLs kept (a thumbnail is a few KiB)
const RETRY_MS = 60_000; // a picture that failed is asked again after this long

/** Object URLs by route and size, each fetched once (least recently used ones go). */
export class Pictures {
  /** The object URL of a picture already fetched, else undefined (no request). */
  ready(route: string, size: PictureSize = 'thumb'): string | undefined {
    return this._ready.get(key(route, size));
  }

  /** The object URL of a picture (fetched on first use), or null when it has none. */
  url(route: string, size: PictureSize = 'thumb'): Promise<string | null> {
    const name = key(route, size);
    let entry = this._entries.get(name);
    if (entry) {
      this._entries.delete(name); // now the most recently used
      this._entries.set(name, entry);
      return entry;
    }
    entry = requestImage(route, size === 'thumb' ? {} : { size }).then(
      blob => {
        const url = URL.createObjectURL(blob);
        if (this._disposed || this._entries.get(name) !== entry) {
          URL.revokeObjectURL(url); // forgotten meanwhile
          return url;
        }
        this._ready.set(name, url);
        return url;
      },
      () => {
        window.setTimeout(() => {
          if (this._entries.get(name) === entry) {
            this._entries.delete(name);
          }
        }, RETRY_MS);
        return null;
      }
    );
    this._entries.set(name, entry);
    while (this._entries.size > KEPT) {
      const oldest = this._entries.keys().next().value as string;
      this._entries.delete(oldest);
      const url = this._ready.get(oldest);
      this._ready.delete(oldest);
      if (url) {
        URL.revokeObjectURL(url); // shown images keep their decoded pixels
      }
    }
    return entry;
  }

  /** Revoke every object URL. */
  dispose(): void {
    this._disposed = true;
    for (const url of this._ready.values()) {
      URL.revokeObjectURL(url);
    }
    this._ready.clear();
    this._entries.clear();
  }

  private _entries = new Map<string, Promise<string | null>>();
  private _ready = new Map<string, string>();
  private _disposed = false;
}

function key(route: string, size: PictureSize): string {
  return `${size} ${route}`;
}
