/**
 * astria-widgets' JupyterLab extension: the "Astria" panel in the left sidebar, the
 * insert-cell commands its buttons run, and "New Astria tune" in the palette and launcher.
 *
 * Other front ends load this labextension too (Voila loads every installed one), and they
 * lack some of JupyterLab's packages and services: Voila has no @jupyterlab/launcher and no
 * notebook tracker. So every token is optional, @jupyterlab/launcher is shared with a bundled
 * fallback (package.json "sharedPackages": the documented setting for an optional service),
 * and without a notebook tracker (no notebooks to insert cells into) the plugin does nothing.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import astriaSvg from '../style/icons/astria.svg';
import { insertCell, newTuneNotebook, snippets } from './cells';
import { AstriaPanel } from './panel';

export const astriaIcon = new LabIcon({
  name: 'astria-widgets:astria',
  svgstr: astriaSvg
});

/** Command ids (also usable from the palette and by tests). */
export const CommandIDs = {
  open: 'astria-widgets:open-panel',
  newTune: 'astria-widgets:new-tune',
  insertWatch: 'astria-widgets:insert-watch-tune',
  insertStudio: 'astria-widgets:insert-prompt-studio',
  insertFrame: 'astria-widgets:insert-tunes-dataframe',
  openRun: 'astria-widgets:insert-open-run',
  refresh: 'astria-widgets:refresh'
};

const INSERTS = {
  watch: { id: CommandIDs.insertWatch, label: 'Insert watch_tune cell' },
  studio: { id: CommandIDs.insertStudio, label: 'Insert PromptStudio cell' },
  dataframe: { id: CommandIDs.insertFrame, label: 'Insert tunes_dataframe cell' }
} as const;

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'astria-widgets:plugin',
  description: 'The Astria side panel: tunes with live status, insert-cell buttons.',
  autoStart: true,
  optional: [INotebookTracker, ICommandPalette, ILauncher, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    maybeTracker: INotebookTracker | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null
  ) => {
    if (!maybeTracker) {
      return; // not a notebook front end (e.g. a Voila page): no panel, no commands
    }
    const tracker = maybeTracker;
    const { commands, shell } = app;

    commands.addCommand(CommandIDs.newTune, {
      label: 'New Astria tune',
      caption: 'Open a new notebook with the Astria tune form',
      icon: astriaIcon,
      execute: () => newTuneNotebook(app)
    });
    for (const [kind, { id, label }] of Object.entries(INSERTS)) {
      commands.addCommand(id, {
        label: args => (args.id ? `${label} for tune ${args.id}` : label),
        isEnabled: () => tracker.currentWidget !== null,
        execute: args =>
          insertCell(
            app,
            tracker,
            snippets[kind as keyof typeof INSERTS](Number(args.id))
          )
      });
    }

    commands.addCommand(CommandIDs.openRun, {
      label: args =>
        args.run_id ? `Insert the cell reopening run ${args.run_id}` : 'Reopen a run',
      isEnabled: () => tracker.currentWidget !== null,
      execute: args =>
        insertCell(app, tracker, snippets.openRun(String(args.run_id)))
    });

    const panel = new AstriaPanel({
      insert: (kind, id) => void commands.execute(INSERTS[kind].id, { id }),
      openRun: runId => void commands.execute(CommandIDs.openRun, { run_id: runId }),
      newTune: () => void commands.execute(CommandIDs.newTune)
    });
    panel.title.icon = astriaIcon;
    panel.title.caption = 'Astria';
    shell.add(panel, 'left', { rank: 750 });
    if (restorer) {
      restorer.add(panel, 'astria-widgets-panel');
    }
    panel.start();

    commands.addCommand(CommandIDs.open, {
      label: 'Show the Astria panel',
      execute: () => shell.activateById(panel.id)
    });
    commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh the Astria panel',
      execute: () => panel.refresh(true)
    });

    if (palette) {
      for (const command of [CommandIDs.newTune, CommandIDs.open, CommandIDs.refresh]) {
        palette.addItem({ command, category: 'Astria' });
      }
    }
    if (launcher) {
      launcher.add({ command: CommandIDs.newTune, category: 'Notebook', rank: 50 });
    }
  }
};

export default plugin;
