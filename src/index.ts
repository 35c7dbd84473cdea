import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'astria-widgets:plugin',
  description: 'The Astria side panel',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    console.log('astria-widgets activated');
  }
};

export default plugin;
