#!/usr/bin/env node
// Runs the Khronos glTF-Validator (npm `gltf-validator`) on one or more .glb/.gltf
// files in one node process and prints one JSON object on stdout:
// {"validatorVersion": "...", "results": [...]}, one result per file in argument
// order: {"path": ..., "report": <validator report>} or
// {"path": ..., "error": "<why the file could not be validated>"}.
//
// Usage: node run.js [--modules DIR] FILE...
//        node run.js [--modules DIR] --stdin
//   --modules DIR  folder holding node_modules/gltf-validator (default: next to run.js)
//   --stdin        read the files from stdin, one path per line, validating each as
//                  soon as its line arrives (the validator is loaded before the
//                  first line, so a caller can start node early and hand it files
//                  as it writes them); the report is printed when stdin closes.
//   --warm-up      before reading stdin, validate a small generated skinned and
//                  textured glb (result discarded), so V8 has compiled the
//                  validator's hot paths when the first real file arrives (an
//                  export's 2.7 MB glb: ~0.30 s cold, ~0.17 s after).
// Exit code 0 when every file was validated (whatever it reported), 2 on bad usage.
'use strict';

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  let modules = path.join(__dirname, 'node_modules');
  const files = [];
  let stdin = false;
  let warmUp = false;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--stdin') {
      stdin = true;
    } else if (argv[i] === '--warm-up') {
      warmUp = true;
    } else if (argv[i] === '--modules') {
      if (i + 1 >= argv.length) {
        throw new Error('--modules needs a folder');
      }
      modules = argv[i + 1];
      i += 1;
    } else {
      files.push(argv[i]);
    }
  }
  if (stdin && files.length > 0) {
    throw new Error('give files either as arguments or with --stdin, not both');
  }
  if (!stdin && files.length === 0) {
    throw new Error('no file given');
  }
  if (warmUp && !stdin) {
    throw new Error('--warm-up goes with --stdin');
  }
  return { modules, files, stdin, warmUp };
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

// A 4x4 RGB PNG, the warm-up texture.
const WARM_UP_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFElEQVR4nGNkYOXihwEWGxsbIjgAatIEVbigJS0AAAAASUVORK5CYII=';

// A valid glb shaped like an export: an n x n vertex grid skinned to two joints
// (POSITION, NORMAL, TEXCOORD_0, JOINTS_0 u8, WEIGHTS_0, u16 indices), inverse
// bind matrices, a one-keyframe animation and a PNG base colour texture.
function warmUpGlb(n) {
  const count = n * n;
  const pos = new Float32Array(count * 3);
  const nrm = new Float32Array(count * 3);
  const uv = new Float32Array(count * 2);
  const joints = new Uint8Array(count * 4);
  const weights = new Float32Array(count * 4);
  for (let y = 0; y < n; y += 1) {
    for (let x = 0; x < n; x += 1) {
      const i = y * n + x;
      const w = y / (n - 1);
      pos.set([x / (n - 1), w, 0], i * 3);
      nrm.set([0, 0, 1], i * 3);
      uv.set([x / (n - 1), 1 - w], i * 2);
      joints.set(w > 0 && w < 1 ? [0, 1, 0, 0] : [w < 1 ? 0 : 1, 0, 0, 0], i * 4);
      weights.set(w > 0 && w < 1 ? [1 - w, w, 0, 0] : [1, 0, 0, 0], i * 4);
    }
  }
  const idx = new Uint16Array((n - 1) * (n - 1) * 6);
  let k = 0;
  for (let y = 0; y < n - 1; y += 1) {
    for (let x = 0; x < n - 1; x += 1) {
      const a = y * n + x;
      idx.set([a, a + 1, a + n, a + 1, a + n + 1, a + n], k);
      k += 6;
    }
  }
  const ibm = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1,
    1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -0.5, 0, 1]);
  const time = new Float32Array([0]);
  const rot = new Float32Array([0, 0, 0, 1]);
  const png = Buffer.from(WARM_UP_PNG, 'base64');
  const parts = [pos, nrm, uv, joints, weights, idx, ibm, time, rot, png];
  const views = [];
  let length = 0;
  for (const part of parts) {
    const bytes = part instanceof Buffer ? part : Buffer.from(part.buffer);
    views.push({ buffer: 0, byteOffset: length, byteLength: bytes.length });
    length += Math.ceil(bytes.length / 4) * 4;
  }
  const bin = Buffer.alloc(length);
  parts.forEach((part, i) => (part instanceof Buffer ? part : Buffer.from(part.buffer)).copy(bin, views[i].byteOffset));
  for (const i of [0, 1, 2, 3, 4]) views[i].target = 34962;
  views[5].target = 34963;
  const json = {
    asset: { version: '2.0', generator: 'hoiexport run.js warm-up' },
    scene: 0,
    scenes: [{ nodes: [0, 2] }],
    nodes: [{ name: 'root', children: [1] }, { name: 'tip', translation: [0, 0.5, 0] },
      { name: 'grid', mesh: 0, skin: 0 }],
    skins: [{ joints: [0, 1], inverseBindMatrices: 6, skeleton: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0, NORMAL: 1, TEXCOORD_0: 2, JOINTS_0: 3, WEIGHTS_0: 4 },
      indices: 5, material: 0 }] }],
    materials: [{ pbrMetallicRoughness: { baseColorTexture: { index: 0 }, metallicFactor: 0, roughnessFactor: 0.8 } }],
    textures: [{ sampler: 0, source: 0 }],
    samplers: [{ magFilter: 9729, minFilter: 9987, wrapS: 10497, wrapT: 10497 }],
    images: [{ bufferView: 9, mimeType: 'image/png' }],
    animations: [{ name: 'pose', channels: [{ sampler: 0, target: { node: 1, path: 'rotation' } }],
      samplers: [{ input: 7, output: 8, interpolation: 'LINEAR' }] }],
    accessors: [
      { bufferView: 0, componentType: 5126, count, type: 'VEC3', min: [0, 0, 0], max: [1, 1, 0] },
      { bufferView: 1, componentType: 5126, count, type: 'VEC3' },
      { bufferView: 2, componentType: 5126, count, type: 'VEC2' },
      { bufferView: 3, componentType: 5121, count, type: 'VEC4' },
      { bufferView: 4, componentType: 5126, count, type: 'VEC4' },
      { bufferView: 5, componentType: 5123, count: idx.length, type: 'SCALAR' },
      { bufferView: 6, componentType: 5126, count: 2, type: 'MAT4' },
      { bufferView: 7, componentType: 5126, count: 1, type: 'SCALAR', min: [0], max: [0] },
      { bufferView: 8, componentType: 5126, count: 1, type: 'VEC4' },
    ],
    bufferViews: views,
    buffers: [{ byteLength: length }],
  };
  let text = Buffer.from(JSON.stringify(json));
  text = Buffer.concat([text, Buffer.alloc((4 - (text.length % 4)) % 4, 0x20)]);
  const header = Buffer.alloc(12);
  header.write('glTF', 0);
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(12 + 8 + text.length + 8 + bin.length, 8);
  const chunk = (data, type) => {
    const h = Buffer.alloc(8);
    h.writeUInt32LE(data.length, 0);
    h.writeUInt32LE(type, 4);
    return Buffer.concat([h, data]);
  };
  return new Uint8Array(Buffer.concat([header, chunk(text, 0x4e4f534a), chunk(bin, 0x004e4942)]));
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`run.js: ${err.message}\nusage: node run.js [--modules DIR] (FILE... | --stdin)\n`);
    process.exit(2);
  }
  const validator = require(path.join(path.resolve(args.modules), 'gltf-validator'));
  const results = [];
  if (args.warmUp) {
    await validator.validateBytes(warmUpGlb(64), { uri: 'warm-up.glb', format: 'glb', maxIssues: 0,
      writeTimestamp: false });
  }
  if (args.stdin) {
    const lines = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() !== '') {
        results.push(await validateOne(validator, line.trim()));
      }
    }
  } else {
    for (const file of args.files) {
      results.push(await validateOne(validator, file));
    }
  }
  process.stdout.write(JSON.stringify({ validatorVersion: validator.version(), results }));
  process.stdout.write('\n');
}

main().catch((err) => {
  process.stderr.write(`run.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
