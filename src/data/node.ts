// The Node-only data API: loadDataset by name or path, image folders, finding and downloading
// registered files. Re-exports the browser-safe part too, so Node code imports one module.
export * from './index.js';
export { loadDataset, type LoadDatasetOptions } from './load-node.js';
export { loadImageFolder, loadOmniglotFolder, decodePngGray, type ImageFolderOptions, type OmniglotFolderOptions } from './image-folder-node.js';
export {
  locateRegisteredFile,
  locateRegisteredPickle,
  downloadVerified,
  verifyRegistered,
  searchDirs,
  defaultCacheDir,
  sha256Hex,
  type LocateOptions,
} from './registry-node.js';
