#!/usr/bin/env node
// Compresses (or decodes) one .glb with glTF-Transform, for hoiexport (exporters/compress.py).
//
// Usage: node compress.mjs [--modules DIR] --method draco|meshopt [--ktx2] --in IN.glb --out OUT.glb
//        node compress.mjs [--modules DIR] --decode --in IN.glb --out OUT.glb
//   --modules DIR  folder holding node_modules (default: next to this script)
//   --method       draco:   KHR_draco_mesh_compression (edgebreaker; glTF-Transform's
//                           quantization: position 14, normal 10, texcoord 12, generic 12 bits)
//                  meshopt: EXT_meshopt_compression after reorder + KHR_mesh_quantization
//                           (glTF-Transform's meshopt(), level "medium"), one quantization
//                           volume for the whole scene so every skinned mesh keeps the one skin
//   --ktx2         also re-encode every PNG / JPEG texture as KTX2 (Basis Universal,
//                  KHR_texture_basisu, required): colour textures (baseColor, emissive) as
//                  ETC1S with the sRGB transfer function, data textures (normal, occlusion,
//                  metallicRoughness) as UASTC + Zstandard, linear; mip-maps generated.
//   --decode       undo draco / meshopt (geometry decoded, quantized attributes kept), to
//                  read back what an engine's decoder gets.
// MSFT_lod (node levels of detail) is read and written unchanged. On success one JSON line
// on stdout reports {"method", "ktx2": [texture names], "extensionsUsed", "bytes"}.
// Exit code 0 on success, 1 on failure (message on stderr), 2 on bad usage.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

function parseArgs(argv) {
  const args = { modules: path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules'),
    method: null, ktx2: false, decode: false, input: null, output: null };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--modules' && i + 1 < argv.length) {
      args.modules = argv[i + 1];
      i += 1;
    } else if (a === '--method' && i + 1 < argv.length) {
      args.method = argv[i + 1];
      i += 1;
    } else if (a === '--in' && i + 1 < argv.length) {
      args.input = argv[i + 1];
      i += 1;
    } else if (a === '--out' && i + 1 < argv.length) {
      args.output = argv[i + 1];
      i += 1;
    } else if (a === '--ktx2') {
      args.ktx2 = true;
    } else if (a === '--decode') {
      args.decode = true;
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  if (!args.input || !args.output) {
    throw new Error('give --in FILE and --out FILE');
  }
  if (args.decode === (args.method !== null)) {
    throw new Error('give either --method draco|meshopt or --decode');
  }
  if (args.method !== null && !['draco', 'meshopt'].includes(args.method)) {
    throw new Error(`--method must be draco or meshopt, got ${args.method}`);
  }
  if (args.ktx2 && args.decode) {
    throw new Error('--ktx2 goes with --method');
  }
  return args;
}

// Colour textures are sRGB (ETC1S, perceptual); data textures linear (UASTC + Zstandard).
const COLOR_SLOTS = new Set(['baseColorTexture', 'emissiveTexture']);

async function encodeKtx2(document, modules, require, KHRTextureBasisu) {
  const { encodeToKTX2 } = await import(pathToFileURL(path.join(modules, 'ktx2-encoder', 'dist', 'node', 'index.js')).href);
  const sharp = require('sharp');
  const imageDecoder = async (buffer) => {
    const { data, info } = await sharp(buffer).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data) };
  };
  const done = [];
  for (const texture of document.getRoot().listTextures()) {
    const mime = texture.getMimeType();
    if (mime === 'image/ktx2') continue;
    if (mime !== 'image/png' && mime !== 'image/jpeg') {
      throw new Error(`texture ${texture.getName() || '?'} is ${mime}; only PNG and JPEG are re-encoded as KTX2`);
    }
    const slots = texture.getGraph().listParentEdges(texture).map((edge) => edge.getName());
    const color = slots.some((slot) => COLOR_SLOTS.has(slot));
    if (color && slots.some((slot) => !COLOR_SLOTS.has(slot) && slot !== 'textures')) {
      throw new Error(`texture ${texture.getName() || '?'} is used both as colour and as data (${slots.join(', ')})`);
    }
    const normal = slots.includes('normalTexture');
    const options = color
      ? { isUASTC: false, isPerceptual: true, isSetKTX2SRGBTransferFunc: true, qualityLevel: 128, compressionLevel: 1 }
      : { isUASTC: true, isNormalMap: normal, isPerceptual: false, isSetKTX2SRGBTransferFunc: false,
        needSupercompression: true };
    const encoded = await encodeToKTX2(texture.getImage(), { ...options, imageDecoder, generateMipmap: true,
      isKTX2File: true });
    texture.setImage(encoded).setMimeType('image/ktx2');
    if (texture.getURI()) texture.setURI(texture.getURI().replace(/\.(png|jpe?g)$/i, '.ktx2'));
    done.push(texture.getName());
  }
  if (done.length) document.createExtension(KHRTextureBasisu).setRequired(true);
  return done;
}

async function main() {
  // The Basis encoder (WASM) prints its progress through console.log; stdout is for the report.
  console.log = () => {};
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`compress.mjs: ${err.message}\n`
      + 'usage: node compress.mjs [--modules DIR] (--method draco|meshopt [--ktx2] | --decode) --in IN.glb --out OUT.glb\n');
    process.exit(2);
  }
  const modules = path.resolve(args.modules);
  const require = createRequire(path.join(modules, 'noop.js'));
  const core = require('@gltf-transform/core');
  const extensions = require('@gltf-transform/extensions');
  const functions = require('@gltf-transform/functions');
  const draco3d = require('draco3dgltf');
  const { MeshoptEncoder, MeshoptDecoder } = await import(pathToFileURL(require.resolve('meshoptimizer')).href);
  const { ExtensionProperty, Extension, NodeIO, PropertyType, RefList, Logger, Verbosity } = core;

  // MSFT_lod at node level: `ids` lists the lower levels of the node it sits on.
  class LOD extends ExtensionProperty {
    static EXTENSION_NAME = 'MSFT_lod';

    init() {
      this.extensionName = 'MSFT_lod';
      this.propertyType = 'LOD';
      this.parentTypes = [PropertyType.NODE];
    }

    getDefaults() {
      return Object.assign(super.getDefaults(), { levels: new RefList() });
    }

    addLevel(node) {
      return this.addRef('levels', node);
    }

    listLevels() {
      return this.listRefs('levels');
    }
  }

  class MSFTLod extends Extension {
    static EXTENSION_NAME = 'MSFT_lod';

    extensionName = 'MSFT_lod';

    read(context) {
      (context.jsonDoc.json.nodes || []).forEach((def, index) => {
        const ext = def.extensions && def.extensions.MSFT_lod;
        if (!ext) return;
        const lod = new LOD(this.document.getGraph());
        for (const id of ext.ids || []) lod.addLevel(context.nodes[id]);
        context.nodes[index].setExtension('MSFT_lod', lod);
      });
      return this;
    }

    write(context) {
      const json = context.jsonDoc.json;
      for (const node of this.document.getRoot().listNodes()) {
        const lod = node.getExtension('MSFT_lod');
        if (!lod) continue;
        const def = json.nodes[context.nodeIndexMap.get(node)];
        def.extensions = def.extensions || {};
        def.extensions.MSFT_lod = { ids: lod.listLevels().map((n) => context.nodeIndexMap.get(n)) };
      }
      return this;
    }
  }

  await MeshoptEncoder.ready;
  await MeshoptDecoder.ready;
  const io = new NodeIO()
    .setLogger(new Logger(Verbosity.ERROR))
    .registerExtensions([...extensions.ALL_EXTENSIONS, MSFTLod])
    .registerDependencies({
      'draco3d.decoder': await draco3d.createDecoderModule(),
      'draco3d.encoder': await draco3d.createEncoderModule(),
      'meshopt.decoder': MeshoptDecoder,
      'meshopt.encoder': MeshoptEncoder,
    });

  const input = new Uint8Array(fs.readFileSync(args.input));
  const document = await io.readBinary(input);
  const ktx2Done = [];
  if (args.decode) {
    for (const ext of document.getRoot().listExtensionsUsed()) {
      if (ext.extensionName === 'KHR_draco_mesh_compression' || ext.extensionName === 'EXT_meshopt_compression') {
        ext.dispose();
      }
    }
  } else {
    if (args.ktx2) {
      ktx2Done.push(...await encodeKtx2(document, modules, require, extensions.KHRTextureBasisu));
    }
    if (args.method === 'draco') {
      await document.transform(functions.draco({ method: 'edgebreaker' }));
    } else {
      await document.transform(functions.meshopt({ encoder: MeshoptEncoder, level: 'medium', quantizationVolume: 'scene' }));
    }
  }
  const output = await io.writeBinary(document);
  const used = document.getRoot().listExtensionsUsed().map((e) => e.extensionName).sort();
  fs.writeFileSync(args.output, output);
  process.stdout.write(`${JSON.stringify({ method: args.decode ? 'decode' : args.method, ktx2: ktx2Done, extensionsUsed: used, bytes: output.byteLength })}\n`);
}

main().catch((err) => {
  process.stderr.write(`compress.mjs: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
