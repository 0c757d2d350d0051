/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

/*
 * Finds JupyterLab's staging directory (the "core path" @jupyterlab/builder builds against)
 * in the installed jupyterlab Python package, and prints it.
 *
 * `jupyter labextension build` would find it itself, but it dispatches to jupyter-builder,
 * which fetches from GitHub; @jupyterlab/builder's own build-labextension needs the path.
 * The Python that has jupyterlab is, in order: $HUBKIT_LAB_PYTHON; the interpreter of the
 * `jupyter-lab` script on PATH (pip's isolated build puts the build requirements' scripts
 * first on PATH, so this is the jupyterlab of pyproject.toml's build-system.requires); then
 * python3 and python.
 */

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

// Without importing jupyterlab (that would import jupyter_server and more)
const PROBE =
  'import importlib.metadata as m, importlib.util as u, os; ' +
  "spec = u.find_spec('jupyterlab'); " +
  "print(m.version('jupyterlab')); " +
  "print(os.path.join(spec.submodule_search_locations[0], 'staging'))";

/** The interpreter named by the shebang of the first `jupyter-lab` script on PATH. */
function jupyterLabPython() {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const script = path.join(dir || '.', 'jupyter-lab');
    let head;
    try {
      head = fs.readFileSync(script, 'utf8').split('\n', 1)[0];
    } catch {
      continue;
    }
    if (head.startsWith('#!') && !head.includes(' ')) {
      return head.slice(2);
    }
  }
  return null;
}

/** [version, staging directory] of jupyterlab, and the Python that has it. */
function findCore() {
  const candidates = [
    process.env.HUBKIT_LAB_PYTHON,
    jupyterLabPython(),
    'python3',
    'python'
  ].filter(Boolean);
  for (const python of candidates) {
    let out;
    try {
      out = execFileSync(python, ['-c', PROBE], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore']
      });
    } catch {
      continue;
    }
    const [version, staging] = out.trim().split('\n');
    if (fs.existsSync(path.join(staging, 'package.json'))) {
      return { python, version, staging };
    }
  }
  throw new Error(
    'No Python with jupyterlab found (tried ' +
      candidates.join(', ') +
      '): install jupyterlab==4.6.6, or set HUBKIT_LAB_PYTHON'
  );
}

module.exports = { findCore };

if (require.main === module) {
  console.log(findCore().staging);
}
