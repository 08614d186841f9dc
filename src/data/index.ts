// The browser-safe data API: byte parsers, the array → Dataset conversion, the embedded MNIST,
// the data-format registry (sniff and parse named or dropped files) and the registered data
// sets. Node's file access lives in ./node.ts.
export type { Dataset, Split } from './types.js';
export { DataError } from './errors.js';
export { arraysToDataset, decodeArray, type NdArray, type NdData } from './arrays.js';
export { parseIdx, idxDataset, isGzip, maybeGunzip, looksLikeIdx, writeIdxU8, type IdxFiles } from './idx.js';
export { parseNpy, parseNpz, npzDataset, isNpy, isZip, writeNpy } from './npy.js';
export { unpickle, pickleDataset, describe as describePickleValue } from './pickle.js';
export { mnistFromBytes, encodeEmbeddedMnist, EMBEDDED_MNIST_FILE, type EmbeddedMnistOptions } from './mnist-embedded.js';
export {
  DATA_FORMATS, DATA_FORMAT_NAMES, sniffDataFile, parseDataFiles, dataFormatsText, type DataFile, type DataFormatName, type DataFormatSpec,
} from './formats.js';
export { DATASETS, datasetNames, registeredDataset, FASHION_MNIST_CLASSES, type RegisteredDataset, type RegisteredFile } from './registry.js';
