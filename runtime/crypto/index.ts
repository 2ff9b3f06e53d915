export { createSecretBox, type SecretBox } from './secret-box.js';
export { KEY_FILE_NAME } from './secret-key.js';
