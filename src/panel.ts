/**
 * The Astria side panel: account line, tunes (newest first, live status, search, more on
 * scroll) and a tune's detail with insert-cell buttons. It renders what the server extension
 * answers and polls it (cached state: the server decides how often the API is asked).
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  IStatus,
  ITuneDetail,
  ITunePage,
  ITuneRow,
  IPrompt,
  requestAPI
} from './api';
import { Pictures } from './images';
import { RecentRuns } from './runs';

const PAGE = 20;
const MAX_RELOAD = 100; // the server's largest page

/** What the detail pane's buttons do (commands of the plugin). */
export interface IPanelActions {
  insert(kind: 'watch' | 'studio' | 'dataframe', id: number): void;
  openRun(runId: string): void;
  newTune(): void;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text) {
    node.textContent = text;
  }
  return node;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class AstriaPanel extends Widget {
  constructor(actions: IPanelActions) {
    super();
    this._actions = actions;
    this.id = 'astria-widgets-panel';
    this.addClass('jp-AstriaPanel');

    const header = el('div', 'jp-AstriaPanel-header');
    header.appendChild(el('span', 'jp-AstriaPanel-heading', 'Astria'));
    const newTune = el('button', 'jp-AstriaPanel-button', 'New tune');
    newTune.title = 'Open a notebook with the tune form';
    newTune.onclick = () => this._actions.newTune();
    header.appendChild(newTune);
    this.node.appendChild(header);

    this._account = el('div', 'jp-AstriaPanel-account', 'Connecting…');
    this.node.appendChild(this._account);
    this._error = el('div', 'jp-AstriaPanel-error');
    this.node.appendChild(this._error);

    this._search = el('input', 'jp-AstriaPanel-search jp-mod-styled');
    this._search.type = 'search';
    this._search.placeholder = 'Search tunes (title, class, id)';
    this._search.oninput = () => {
      window.clearTimeout(this._searchTimer);
      this._searchTimer = window.setTimeout(() => void this._reset(), 300);
    };
    this.node.appendChild(this._search);

    this._listBox = el('div', 'jp-AstriaPanel-listBox');
    this._list = el('ul', 'jp-AstriaPanel-list');
    this._more = el('div', 'jp-AstriaPanel-more');
    this._listBox.appendChild(this._list);
    this._listBox.appendChild(this._more);
    this._listBox.onscroll = () => {
      const box = this._listBox;
      if (box.scrollTop + box.clientHeight >= box.scrollHeight - 60) {
        void this._loadMore();
      }
    };
    this.node.appendChild(this._listBox);

    this._recent = new RecentRuns(runId => this._actions.openRun(runId));
    this._recent.node.hidden = true;
    this.node.appendChild(this._recent.node);

    this._detail = el('div', 'jp-AstriaPanel-detail');
    this._detail.hidden = true;
    this.node.appendChild(this._detail);
  }

  /** The tunes shown, newest first (what the last answers said). */
  get tunes(): ITuneRow[] {
    return this._rows;
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    window.clearTimeout(this._searchTimer);
    this._pictures.dispose();
    super.dispose();
  }

  /** Start polling (called once the panel is in the shell); nothing is asked until the
   * panel is first shown, so a session that never opens it costs no API request. */
  start(): void {
    this._schedule();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._started) {
      this._started = true;
      void this._reset();
    } else {
      void this.refresh();
    }
  }

  /** Ask the server now (the "refresh" of a user). */
  async refresh(force = false): Promise<void> {
    await Promise.all([
      this._loadStatus(),
      this._reload(force),
      this._recent.refresh()
    ]);
  }

  private _schedule(): void {
    window.clearTimeout(this._timer);
    const seconds = this._status?.refresh_seconds ?? 5;
    this._timer = window.setTimeout(async () => {
      if (this.isDisposed) {
        return;
      }
      if (this.isVisible && this._started) {
        await this.refresh();
      }
      this._schedule();
    }, Math.max(1, seconds) * 1000);
  }

  private async _loadStatus(): Promise<void> {
    try {
      this._status = await requestAPI<IStatus>('status');
      this._renderStatus();
    } catch (error) {
      this._showError(errorText(error));
    }
  }

  private _renderStatus(): void {
    const status = this._status;
    if (!status) {
      return;
    }
    this._account.textContent = '';
    const api = el(
      'span',
      `jp-AstriaPanel-api jp-AstriaPanel-api-${status.api}`,
      status.api === 'sandbox' ? 'Sandbox' : 'Astria API'
    );
    api.title =
      status.api === 'sandbox'
        ? status.sandbox_started
          ? 'The local sandbox (simulated, free), started by this Jupyter server'
          : 'The local sandbox (simulated, free)'
        : 'The Astria API';
    this._account.appendChild(api);
    const who = status.account.email || status.account.name || '';
    this._account.appendChild(el('span', 'jp-AstriaPanel-who', who));
    if (status.balance !== null) {
      this._account.appendChild(
        el('span', 'jp-AstriaPanel-balance', status.balance)
      );
    }
    this._showError(status.sync_error ? `Sync: ${status.sync_error}` : '');
  }

  private _showError(message: string): void {
    this._error.textContent = message;
    this._error.hidden = !message;
  }

  private _query(extra: Record<string, string>): Record<string, string> {
    const search = this._search.value.trim();
    return search ? { ...extra, search } : extra;
  }

  /** A new search or the first load: the first page only. */
  private async _reset(): Promise<void> {
    this._generation++;
    this._rows = [];
    this._next = null;
    this._list.textContent = '';
    this._more.textContent = 'Loading…';
    await this._loadStatus();
    void this._recent.refresh();
    await this._fetch({ limit: String(PAGE) }, false);
  }

  /** The rows shown, asked again (their statuses move), keeping how many were loaded. */
  private async _reload(force: boolean): Promise<void> {
    const count = Math.min(MAX_RELOAD, Math.max(PAGE, this._rows.length));
    const extra: Record<string, string> = { limit: String(count) };
    if (force) {
      extra.refresh = '1';
    }
    await this._fetch(extra, false);
  }

  private async _loadMore(): Promise<void> {
    if (this._next === null || this._loading) {
      return;
    }
    await this._fetch(
      { limit: String(PAGE), before_id: String(this._next) },
      true
    );
  }

  private async _fetch(
    params: Record<string, string>,
    append: boolean
  ): Promise<void> {
    const generation = this._generation;
    this._loading = true;
    try {
      const page = await requestAPI<ITunePage>('tunes', this._query(params));
      if (generation !== this._generation) {
        return; // a newer search started meanwhile
      }
      this._rows = append ? this._rows.concat(page.tunes) : page.tunes;
      this._next = page.next_before_id;
      this._renderList();
      this._showError(this._status?.sync_error ? this._error.textContent! : '');
    } catch (error) {
      this._showError(errorText(error));
    } finally {
      this._loading = false;
    }
  }

  private _renderList(): void {
    this._list.textContent = '';
    for (const row of this._rows) {
      this._list.appendChild(this._renderRow(row));
    }
    this._more.textContent =
      this._next !== null
        ? 'Scroll for more…'
        : this._rows.length
          ? ''
          : this._search.value.trim()
            ? 'No tune matches the search.'
            : 'No tunes yet: "New tune" opens the form.';
    if (this._shown !== null) {
      const row = this._rows.find(r => r.id === this._shown!.id);
      if (row) {
        this._renderDetailState({ ...this._shown, ...row });
      }
    }
  }

  /** A picture from the server's picture route (`route`), or an empty box. */
  private _thumb(route: string | null, className: string): HTMLElement {
    if (!route) {
      return el('div', `${className} jp-AstriaPanel-noThumb`);
    }
    const img = el('img', className);
    img.alt = '';
    img.dataset.route = route;
    const ready = this._pictures.ready(route);
    if (ready) {
      img.src = ready; // already here: no flicker when the list is drawn again
    }
    void this._pictures.url(route).then(url => {
      if (!url) {
        img.classList.add('jp-mod-failed');
      } else if (!ready) {
        img.src = url;
      }
    });
    return img;
  }

  /** Open a larger copy of a picture in a new tab (the tab opens at the click, so no popup
   * blocker stops it, and shows the picture once it is here). */
  private async _openLarge(route: string): Promise<void> {
    const tab = window.open('', '_blank');
    const url = await this._pictures.url(route, 'large');
    if (tab) {
      if (url) {
        tab.location.href = url;
      } else {
        tab.close();
      }
    }
  }

  private _stateNode(row: ITuneRow): HTMLElement {
    const box = el('div', 'jp-AstriaPanel-state');
    if (row.status === 'training' || row.status === 'queued') {
      const bar = el('div', 'jp-AstriaPanel-progress');
      const fill = el('div', 'jp-AstriaPanel-progressFill');
      fill.style.width = `${Math.round((row.progress ?? 0) * 100)}%`;
      bar.appendChild(fill);
      box.appendChild(bar);
      box.appendChild(
        el('span', 'jp-AstriaPanel-left', row.time_left ?? row.status)
      );
    } else {
      box.appendChild(
        el('span', `jp-AstriaPanel-badge jp-mod-${row.status}`, row.status)
      );
    }
    box.dataset.status = row.status;
    return box;
  }

  private _renderRow(row: ITuneRow): HTMLElement {
    const item = el('li', 'jp-AstriaPanel-tune');
    item.dataset.id = String(row.id);
    item.dataset.status = row.status;
    item.title = `Tune ${row.id}: show its detail`;
    item.appendChild(this._thumb(row.thumbnail, 'jp-AstriaPanel-thumb'));
    const text = el('div', 'jp-AstriaPanel-text');
    text.appendChild(
      el('div', 'jp-AstriaPanel-title', row.title || `Tune ${row.id}`)
    );
    text.appendChild(
      el(
        'div',
        'jp-AstriaPanel-meta',
        [`#${row.id}`, row.name, row.branch].filter(Boolean).join(' · ')
      )
    );
    text.appendChild(this._stateNode(row));
    item.appendChild(text);
    item.onclick = () => void this.showTune(row.id);
    return item;
  }

  /** Show a tune's detail (fields, prompts, buttons) in place of the list. */
  async showTune(id: number): Promise<void> {
    this._listBox.hidden = true;
    this._search.hidden = true;
    this._detail.hidden = false;
    this._detail.textContent = '';
    this._detail.appendChild(this._backButton());
    this._detail.appendChild(el('div', 'jp-AstriaPanel-more', 'Loading…'));
    try {
      const detail = await requestAPI<ITuneDetail>(`tunes/${id}`);
      this._shown = detail;
      this._renderDetail(detail);
    } catch (error) {
      this._showError(errorText(error));
    }
  }

  private _backButton(): HTMLElement {
    const back = el('button', 'jp-AstriaPanel-button jp-AstriaPanel-back', '← Tunes');
    back.onclick = () => this._closeDetail();
    return back;
  }

  private _closeDetail(): void {
    this._shown = null;
    this._detail.hidden = true;
    this._detail.textContent = '';
    this._listBox.hidden = false;
    this._search.hidden = false;
  }

  private _renderDetail(detail: ITuneDetail): void {
    const box = this._detail;
    box.textContent = '';
    box.dataset.id = String(detail.id);
    box.appendChild(this._backButton());
    const head = el('div', 'jp-AstriaPanel-detailHead');
    head.appendChild(this._thumb(detail.thumbnail, 'jp-AstriaPanel-bigThumb'));
    const title = el('div', 'jp-AstriaPanel-text');
    title.appendChild(
      el('div', 'jp-AstriaPanel-title', detail.title || `Tune ${detail.id}`)
    );
    const state = el('div', 'jp-AstriaPanel-detailState');
    title.appendChild(state);
    head.appendChild(title);
    box.appendChild(head);

    const buttons = el('div', 'jp-AstriaPanel-actions');
    const add = (label: string, hint: string, run: () => void, cls: string) => {
      const button = el('button', `jp-AstriaPanel-button ${cls}`, label);
      button.title = hint;
      button.onclick = run;
      buttons.appendChild(button);
    };
    add('Watch', 'Insert watch_tune(…) into the active notebook',
      () => this._actions.insert('watch', detail.id), 'jp-AstriaPanel-insertWatch');
    add('Studio', 'Insert PromptStudio(tune=…) into the active notebook',
      () => this._actions.insert('studio', detail.id), 'jp-AstriaPanel-insertStudio');
    add('DataFrame', 'Insert tunes_dataframe(…) of this tune into the active notebook',
      () => this._actions.insert('dataframe', detail.id), 'jp-AstriaPanel-insertFrame');
    add('New tune', 'Open a new notebook with the tune form',
      () => this._actions.newTune(), 'jp-AstriaPanel-newTune');
    box.appendChild(buttons);

    const fields = el('table', 'jp-AstriaPanel-fields');
    for (const [label, value] of detail.fields) {
      const tr = el('tr');
      tr.appendChild(el('th', '', label));
      tr.appendChild(el('td', '', String(value)));
      fields.appendChild(tr);
    }
    box.appendChild(fields);

    box.appendChild(
      el('div', 'jp-AstriaPanel-subheading', `Prompts (${detail.prompts.length})`)
    );
    const prompts = el('ul', 'jp-AstriaPanel-prompts');
    for (const prompt of detail.prompts) {
      prompts.appendChild(this._renderPrompt(prompt));
    }
    if (!detail.prompts.length) {
      prompts.appendChild(el('li', 'jp-AstriaPanel-more', 'No prompts yet.'));
    }
    box.appendChild(prompts);
    this._renderDetailState(detail);
  }

  private _renderDetailState(row: ITuneRow): void {
    const state = this._detail.querySelector('.jp-AstriaPanel-detailState');
    if (state) {
      state.textContent = '';
      state.appendChild(this._stateNode(row));
    }
  }

  private _renderPrompt(prompt: IPrompt): HTMLElement {
    const item = el('li', 'jp-AstriaPanel-prompt');
    item.dataset.id = String(prompt.id);
    item.appendChild(el('div', 'jp-AstriaPanel-promptText', prompt.text));
    if (prompt.status !== 'done') {
      item.appendChild(
        el(
          'span',
          `jp-AstriaPanel-badge jp-mod-${prompt.status}`,
          prompt.error ? `${prompt.status}: ${prompt.error}` : prompt.status
        )
      );
    }
    const images = el('div', 'jp-AstriaPanel-images');
    for (const route of prompt.images) {
      const link = el('a', 'jp-AstriaPanel-imageLink');
      link.href = '#';
      link.title = 'Open a larger copy in a new tab';
      link.onclick = event => {
        event.preventDefault();
        void this._openLarge(route);
      };
      link.appendChild(this._thumb(route, 'jp-AstriaPanel-image'));
      images.appendChild(link);
    }
    item.appendChild(images);
    return item;
  }

  private _actions: IPanelActions;
  private _recent: RecentRuns;
  private _pictures = new Pictures();
  private _account: HTMLDivElement;
  private _error: HTMLDivElement;
  private _search: HTMLInputElement;
  private _listBox: HTMLDivElement;
  private _list: HTMLUListElement;
  private _more: HTMLDivElement;
  private _detail: HTMLDivElement;
  private _status: IStatus | null = null;
  private _rows: ITuneRow[] = [];
  private _next: number | null = null;
  private _shown: ITuneDetail | null = null;
  private _loading = false;
  private _started = false;
  private _generation = 0;
  private _timer = 0;
  private _searchTimer = 0;
}
