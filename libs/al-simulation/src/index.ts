// @forge/al-simulation: active learning and consensus measured on phantoms rated by a simulated panel.
export * from './pool';
export * from './ratings';
export * from './learner';
export * from './simulation';
export * from './consensus';
export * from './summary';
