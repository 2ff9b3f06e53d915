export { createLogger, type LoggerOptions, type Logger } from './logger.js';
