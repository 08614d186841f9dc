// The NYU DS-GA 1008 homework interface: MLP(in1, out1, f, in2, out2, g) and losses returning { J, dJdy_hat }.
export { MLP, mseLoss, bceLoss, type NyuFunction, type NyuParameters, type NyuGradients } from './models/assignments.js';
