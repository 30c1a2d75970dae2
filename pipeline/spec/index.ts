export * from './defaults';
export * from './errors';
export * from './image-uri';
export * from './schema';
export * from './validate';
