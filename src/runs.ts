/**
 * The panel's "Recent runs": the runs the kernels recorded in the account's history (the
 * server reads the file; no API request). A click inserts the cell that reopens one.
 */
import { IRunList, IRunRow, requestAPI } from './api';

const RUNS = 8;

export class RecentRuns {
  constructor(openRun: (runId: string) => void) {
    this._openRun = openRun;
    this.node = document.createElement('div');
    this.node.className = 'jp-AstriaPanel-runs';
    const heading = document.createElement('div');
    heading.className = 'jp-AstriaPanel-runsHeading';
    heading.textContent = 'Recent runs';
    this.node.appendChild(heading);
    this._list = document.createElement('ul');
    this._list.className = 'jp-AstriaPanel-runList';
    this.node.appendChild(this._list);
  }

  /** The runs shown (the last answer). */
  get runs(): IRunRow[] {
    return this._runs;
  }

  /** Ask the server for the newest runs and show them (an error leaves the list as is). */
  async refresh(): Promise<void> {
    let answer: IRunList;
    try {
      answer = await requestAPI<IRunList>('runs', { limit: String(RUNS) });
    } catch {
      return;
    }
    this._runs = answer.runs;
    this._list.textContent = '';
    this.node.hidden = this._runs.length === 0;
    for (const run of this._runs) {
      this._list.appendChild(this._row(run));
    }
  }

  private _row(run: IRunRow): HTMLLIElement {
    const item = document.createElement('li');
    item.className = 'jp-AstriaPanel-run';
    item.dataset.runId = run.run_id;
    item.title = 'Insert the cell that reopens this run';
    const label = document.createElement('span');
    label.className = 'jp-AstriaPanel-runLabel';
    label.textContent = `${run.kind}: ${run.label}`;
    const summary = document.createElement('span');
    summary.className = 'jp-AstriaPanel-runSummary';
    summary.textContent = run.summary;
    item.appendChild(label);
    item.appendChild(summary);
    item.onclick = () => this._openRun(run.run_id);
    return item;
  }

  readonly node: HTMLDivElement;
  private _openRun: (runId: string) => void;
  private _list: HTMLUListElement;
  private _runs: IRunRow[] = [];
}
