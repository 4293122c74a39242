/** Command IDs: a public contract (keybindings, tests and docs use them). Keep in sync with package.json. */
export const commandIds = {
  generate: 'gptImage.generate',
  openStudio: 'gptImage.openStudio',
  setApiKey: 'gptImage.setApiKey',
  clearApiKey: 'gptImage.clearApiKey',
  insertImage: 'gptImage.insertImage',
  insertImageFromExplorer: 'gptImage.insertImageFromExplorer',
  showLog: 'gptImage.showLog',
  editImage: 'gptImage.editImage',
  copyMcpConfig: 'gptImage.copyMcpConfig',
  showImageInfo: 'gptImage.showImageInfo',
  generatePlaceholders: 'gptImage.generatePlaceholders',
} as const;

export const panelViewType = 'gptImage.panel';
