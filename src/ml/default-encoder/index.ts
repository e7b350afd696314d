export * from './morlet';
export * from './scattering-design';
export * from './scattering-model';
export * from './scattering-reference';
export * from './default-descriptor';
