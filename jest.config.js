/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    // hyparquet(-writer) ship only ES modules: compiled to CommonJS like our own code.
    '/node_modules/hyparquet[^/]*/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!hyparquet)'],
  testTimeout: 60000,
  // Tests open sockets and files; two workers fit the two-core CI machine.
  maxWorkers: 2,
};
