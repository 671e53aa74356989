export * from './artifact-messages.js';
export * from './agent-job.js';
export * from './backup-messages.js';
export * from './contents.js';
export * from './envelope.js';
export * from './failures.js';
export * from './subjects.js';
export * from './decode.js';
