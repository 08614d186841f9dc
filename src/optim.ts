// The `optim` namespace: the optimisers and their registry.
export * from './optim/index.js';
