/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

/* Removes what the build makes: lib, the prebuilt extension and TypeScript's build info. */

const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
for (const made of ['lib', 'tsconfig.tsbuildinfo', path.join('hubkit_lab', 'labextension')]) {
  fs.rmSync(path.join(root, made), { recursive: true, force: true });
}
