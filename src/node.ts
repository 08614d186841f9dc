// The command line's entry into the library, beside the public API (index.ts): the Node-only
// modules (the -node.ts files: data loading by name or path, run directories and checkpoints,
// the experiment grid's process pool, PNG files, atomic writes, chart rasterising) and the parts
// of the library that only the command line uses (the experiment grid and its report, the image
// grid, the numeric rules of options, the standard gradcheck suite). Not part of the public API; it imports Node built-ins and
// native packages, so browser code never imports it. The chart renderers load only when a chart
// is written (plot/write-node.ts).
export { describeRule, meetsRule, type NumberRule } from './numbers.js';
export { runLayerGradchecks, runLossGradchecks } from './check/suite.js';
export { loadDataset, type LoadDatasetOptions } from './data/load-node.js';
export { writeFileAtomic } from './io/atomic-node.js';
export { encodePng, decodePng, readPngImage } from './io/png-node.js';
export type { Chart, CurveSeries, CurvesSpec } from './plot/index.js';
export { writeCharts } from './plot/write-node.js';
export { imageToRgba, renderImageGrid, type GridImage, type GridOptions } from './plot/image-grid.js';
export { hasCheckpoint, readCheckpoint } from './train/checkpoint-node.js';
export { type DirectoryLock } from './io/dir-lock-node.js';
export {
  runTraining, lockRunDirectory, readHistory, runDirectoryState, historyJsonl, historyCsv,
  type RunConfigFile, type RunOptions, type RunResult,
} from './train/run-node.js';
export { loadSavedModel, type SavedModel } from './train/saved-node.js';
export {
  GRID, GRID_DEFAULTS, GRID_GROUPS, selectRuns, longestFirst, mlpWeights,
  type GridRun, type GridGroup, type GridSettings, type RunOutcome,
} from './train/grid.js';
export {
  runGrid, historyOf, isComplete, outcomeFromDisk, endWithParent, packageRoot, GridStoppedError,
  type GridRunOptions, type GridRunEvents,
} from './train/grid-runner-node.js';
export { parseShard, shardRuns, shardShares, MAX_SHARDS, type Shard } from './train/grid-shard.js';
export { readGridSettings, inTableOrder, GRID_SETTINGS_FILE, SHARED_GRID_SETTINGS } from './train/grid-settings-node.js';
export { mergeGridFolders, type MergedGrid } from './train/grid-merge-node.js';
export {
  gridReport, groupCharts, groupSentences, outcomeLine, summarize, formatSeconds, pct, GROUP_TITLES, type GridReport, type RunSource, type RunSummary,
} from './report/grid-report.js';
export { runCharts, runLabel } from './report/run-curves.js';
