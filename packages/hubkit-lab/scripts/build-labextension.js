/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

/*
 * Builds the prebuilt extension (hubkit_lab/labextension) with @jupyterlab/builder's
 * build-labextension, against the staging directory of the installed jupyterlab (see
 * core-path.js). Extra arguments (e.g. --development) are passed on.
 */

const { execFileSync } = require('child_process');
const path = require('path');

const { findCore } = require('./core-path');

const root = path.resolve(__dirname, '..');
const core = findCore();
console.log(`build-labextension: core ${core.version} at ${core.staging} (${core.python})`);
execFileSync(
  process.execPath,
  [
    require.resolve('@jupyterlab/builder/lib/build-labextension.js', { paths: [root] }),
    '--core-path',
    core.staging,
    ...process.argv.slice(2),
    root
  ],
  { stdio: 'inherit', cwd: root }
);

// hatch-jupyter-builder's ensured-targets cannot name the remoteEntry (its name has a hash)
const fs = require('fs');
const staticDir = path.join(root, 'hubkit_lab', 'labextension', 'static');
if (!fs.readdirSync(staticDir).some(name => /^remoteEntry\.[0-9a-f]+\.js$/.test(name))) {
  throw new Error(`build-labextension: no remoteEntry.*.js in ${staticDir}`);
}
