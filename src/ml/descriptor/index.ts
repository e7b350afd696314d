export * from './body-position';
export * from './combine';
export * from './hu-histogram';
export * from './scattering-inputs';
