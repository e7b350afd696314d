export * from './blob-model';
export * from './default-detector';
export * from './scale-space';
