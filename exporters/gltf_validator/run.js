#!/usr/bin/env node
// Runs the Khronos glTF-Validator (npm `gltf-validator`) on one or more .glb/.gltf
// files in one node process and prints one JSON object on stdout:
// {"validatorVersion": "...", "results": [...]}, one result per file in argument
// order: {"path": ..., "report": <validator report>} or
// {"path": ..., "error": "<why the file could not be validated>"}.
//
// Usage: node run.js [--modules DIR] FILE...
//   --modules DIR  folder holding node_modules/gltf-validator (default: next to run.js)
// Exit code 0 when every file was validated (whatever it reported), 2 on bad usage.
'use strict';

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  let modules = path.join(__dirname, 'node_modules');
  const files = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--modules') {
      if (i + 1 >= argv.length) {
        throw new Error('--modules needs a folder');
      }
      modules = argv[i + 1];
      i += 1;
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length === 0) {
    throw new Error('no file given');
  }
  return { modules, files };
}

// Loads a buffer or image that a .gltf names by relative URI; refuses URIs that
// leave the asset's folder, as a bundle on disk never follows such a path.
function resourceLoader(assetPath) {
  const root = path.resolve(path.dirname(assetPath));
  return (uri) => new Promise((resolve, reject) => {
    const target = path.resolve(root, decodeURIComponent(uri));
    if (target !== root && !target.startsWith(root + path.sep)) {
      reject(new Error(`external resource ${uri} lies outside ${root}`));
      return;
    }
    fs.readFile(target, (err, data) => (err ? reject(err) : resolve(new Uint8Array(data))));
  });
}

async function validateOne(validator, file) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    return { path: file, error: `cannot read file: ${err.message}` };
  }
  const ext = path.extname(file).toLowerCase();
  const options = {
    uri: path.basename(file),
    maxIssues: 0,
    writeTimestamp: false,
    externalResourceFunction: resourceLoader(file),
  };
  if (ext === '.glb') {
    options.format = 'glb';
  } else if (ext === '.gltf') {
    options.format = 'gltf';
  }
  try {
    const report = await validator.validateBytes(new Uint8Array(bytes), options);
    return { path: file, report };
  } catch (err) {
    return { path: file, error: String(err && err.message ? err.message : err) };
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`run.js: ${err.message}\nusage: node run.js [--modules DIR] FILE...\n`);
    process.exit(2);
  }
  const validator = require(path.join(path.resolve(args.modules), 'gltf-validator'));
  const results = [];
  for (const file of args.files) {
    results.push(await validateOne(validator, file));
  }
  process.stdout.write(JSON.stringify({ validatorVersion: validator.version(), results }));
  process.stdout.write('\n');
}

main().catch((err) => {
  process.stderr.write(`run.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
