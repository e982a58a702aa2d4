import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

const MARKER = 'var standalone_default = "';

/**
 * The Scalar API Reference browser bundle, from the installed `@scalar/fastify-api-reference`
 * (no CDN). That package is ESM only and its plugin cannot be `require`d where the gateway runs
 * as CommonJS under Jest on Node 20, so the gateway serves the bundle itself: the package keeps it
 * as one string literal (`standalone_default`), which is read from its file and evaluated alone.
 */
export function scalarBundle(): string {
  const source = readFileSync(require.resolve('@scalar/fastify-api-reference'), 'utf8');
  const start = source.indexOf(MARKER) + MARKER.length - 1;
  if (start < MARKER.length) throw new Error('@scalar/fastify-api-reference: its bundle was not found (the package changed its layout)');
  let end = start + 1;
  while (source[end] !== '"') end += source[end] === '\\' ? 2 : 1;
  // The literal must end its statement here; anything else means the scan went wrong.
  if (source[end + 1] !== ';' && source[end + 1] !== '\n') throw new Error('@scalar/fastify-api-reference: its bundle literal did not end where expected');
  return runInNewContext(source.slice(start, end + 1)) as string;
}

/** The page: the bundle from `/docs/js/scalar.js`, reading the document from `/docs/openapi.json`. */
export const DOCS_PAGE = `<!doctype html>
<html>
  <head>
    <title>IM backend API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <noscript>The OpenAPI document is at <a href="/docs/openapi.json">/docs/openapi.json</a>.</noscript>
    <div id="app"></div>
    <script src="/docs/js/scalar.js"></script>
    <script>Scalar.createApiReference('#app', { url: '/docs/openapi.json' })</script>
  </body>
</html>`;
