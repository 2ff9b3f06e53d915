export { startFakeGitHub } from './server.js';
export type { FakeGitHub, FakeGitHubOptions, FaultKind, FaultOptions, LoggedRequest, TouchKind } from './server.js';
export type { RepoSpec } from './data.js';
export { githubGraphQLSchema, validateGitHubQuery } from './graphql.js';
export { openApi } from './examples.js';
