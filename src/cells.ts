/**
 * The code of the cells the panel inserts, and how they are inserted: the one home of
 * these snippets (the Python names are astria_widgets' public API).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';

function tuneId(id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new Error(`not a tune id: ${id}`);
  }
  return id;
}

function runId(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    throw new Error(`not a run id: ${id}`);
  }
  return id;
}

export const snippets = {
  openRun: (id: string): string =>
    'from astria_widgets import PromptStudio\n\n' +
    `PromptStudio.open_run("${runId(id)}")`,
  watch: (id: number): string =>
    `from astria_widgets import watch_tune\n\nwatch_tune(${tuneId(id)})`,
  studio: (id: number): string =>
    `from astria_widgets import PromptStudio\n\nPromptStudio(tune=${tuneId(id)})`,
  dataframe: (id: number): string =>
    'from astria_widgets import connect, tunes_dataframe\n\n' +
    `tunes_dataframe([connect().get_tune(${tuneId(id)})])`,
  form: (): string => 'from astria_widgets import TuneForm\n\nTuneForm()'
};

/**
 * Put `code` in a new cell below the active cell of the current notebook (or in its active
 * cell when that is an empty code cell) and show the notebook. False when no notebook is
 * open (the user is told).
 */
export function insertCell(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  code: string
): boolean {
  const panel = tracker.currentWidget;
  if (!panel) {
    Notification.warning(
      'Open a notebook first: the Astria panel inserts the cell into the active notebook.',
      { autoClose: 5000 }
    );
    return false;
  }
  const notebook = panel.content;
  const active = notebook.activeCell;
  const reuse =
    active !== null &&
    active.model.type === 'code' &&
    active.model.sharedModel.getSource().trim() === '';
  if (!reuse) {
    NotebookActions.insertBelow(notebook);
  }
  notebook.activeCell?.model.sharedModel.setSource(code);
  app.shell.activateById(panel.id);
  return true;
}

/** A new notebook whose first cell shows a `TuneForm`, run once the kernel is ready. */
export async function newTuneNotebook(
  app: JupyterFrontEnd
): Promise<NotebookPanel> {
  const panel: NotebookPanel = await app.commands.execute(
    'notebook:create-new',
    { kernelName: app.serviceManager.kernelspecs.specs?.default ?? 'python3' }
  );
  await panel.context.ready;
  const cell = panel.content.widgets[0];
  cell.model.sharedModel.setSource(snippets.form());
  panel.content.activeCellIndex = 0;
  await panel.sessionContext.ready;
  await NotebookActions.run(panel.content, panel.sessionContext);
  return panel;
}
