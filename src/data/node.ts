// The Node-only data API: loadDataset by name or path, image folders, finding and downloading
// registered files. Re-exports the browser-safe part too, so Node code imports one module.
export * from './index.js';
export { loadDataset, type LoadDatasetOptions } from './load-node.js';
export { loadImageFolder, decodePngGray, type ImageFolderOptions } from './image-folder-node.js';
export { loadOmniglotFolder, loadOmniglotZips, drawerOf, type OmniglotOptions, type OmniglotSplit, type NamedBytes } from './omniglot-node.js';
export {
  locateRegisteredFile,
  locateRegisteredPickle,
  downloadVerified,
  verifyRegistered,
  verifyExact,
  searchDirs,
  defaultCacheDir,
  sha256Hex,
  type LocateOptions,
} from './registry-node.js';
