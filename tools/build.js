// `npm run build`: compiles the TypeScript sources the apps and operator tools run (no tests, no
// test support, no benchmarks) to CommonJS under dist/, with swc and the options the tests and
// tools/register.js use (legacy decorators with metadata, which Nest's injection needs). The
// `@im/<lib>` aliases of tsconfig's paths become relative requires, so dist/ runs on plain node
// with production dependencies only: the image needs neither swc nor typescript at run time.
const { transformFileSync } = require('@swc/core');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
// Another directory may be given (a test builds into one of its own); it must sit under the repo
// so the compiled files find node_modules.
const out = path.resolve(root, process.argv[2] ?? 'dist');
const SOURCES = ['apps', 'libs', 'tools'];
const SKIP = [/\.spec\.ts$/, /\.d\.ts$/, /^libs\/testing\//, /^tools\/testing\//, /\/test\//, /^tools\/stack\.ts$/];
const OPTIONS = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: false,
};

function* walk(dir) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) yield* walk(rel);
    else if (rel.endsWith('.ts') && !SKIP.some((re) => re.test(rel))) yield rel;
  }
}

/** `require("@im/db")` from `apps/x/src/y.js` becomes `require("../../../libs/db/src/index")`. */
function relink(code, rel) {
  return code.replace(/require\("@im\/([a-z-]+)"\)/g, (_, lib) => {
    let target = path.relative(path.dirname(rel), `libs/${lib}/src/index`);
    if (!target.startsWith('.')) target = `./${target}`;
    return `require(${JSON.stringify(target)})`;
  });
}

fs.rmSync(out, { recursive: true, force: true });
let n = 0;
for (const dir of SOURCES) {
  for (const rel of walk(dir)) {
    const { code } = transformFileSync(path.join(root, rel), { ...OPTIONS, filename: rel, swcrc: false, configFile: false });
    const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, relink(code, rel));
    n += 1;
  }
}
const leftover = [...walkOut(out)].filter((f) => /require\("@im\//.test(fs.readFileSync(f, 'utf8')));
if (leftover.length > 0) throw new Error(`unresolved @im/ requires in ${leftover.join(', ')}`);
console.log(`built ${n} files into ${path.relative(root, out)}/`);

function* walkOut(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walkOut(p);
    else yield p;
  }
}
