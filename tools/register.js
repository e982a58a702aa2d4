// Runs the TypeScript sources directly (swc, with decorator metadata and the tsconfig paths),
// so `npm run stack` and the tools need no build step.
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || require('node:path').join(__dirname, '..', 'tsconfig.json');
require('@swc-node/register');
