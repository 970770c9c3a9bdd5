#!/usr/bin/env bash
# bench/gpu.ts on a GPU machine that may have no Node, no npm, no network and no Vulkan loader
# (libvulkan.so.1): everything the bench needs travels in one archive.
#
#   bash bench/gpu-check.sh pack         on an x86-64 development machine: writes .gpu-bench/gpu-bench.tar.xz
#                                        (~35 MB, git-ignored): node, the bench bundled with tfjs and the
#                                        engine, the wasm binaries, the `webgpu` package (Dawn, linux-x64
#                                        only) and a Vulkan loader
#   bash bench/gpu-check.sh run [ARGS]   on the GPU machine, in a copy of the repository that includes
#                                        .gpu-bench/: unpacks to /tmp, reports the GPU, the Vulkan loader and
#                                        drivers, then runs the bench with --require-hardware; ARGS go to the
#                                        bench (e.g. --quick, --json FILE)
#
# The trained models come with the repository (data/models/*/). Environment:
#   GPU_CHECK_ALLOW_SOFTWARE=1   do not pass --require-hardware (to try the archive here, on SwiftShader)
#   GPU_CHECK_NODE=packed        use the packed node even when a node >= 20 is installed
set -euo pipefail
cd "$(dirname "$0")/.."
PACK_DIR=.gpu-bench
ARCHIVE="$PACK_DIR/gpu-bench.tar.xz"
UNPACKED=/tmp/saliency-gpu-bench

pack() {
  if [ "$(uname -m)" != "x86_64" ]; then
    echo "gpu-check pack: this machine is $(uname -m); the GPU machine is x86-64 and needs x86-64 node and Dawn" >&2
    exit 1
  fi
  local stage
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' RETURN
  # The bench and everything it imports as one ES module. The CommonJS parts (the wasm backend's
  # Emscripten glue) expect require/__dirname: the banner defines them for the bundle's folder,
  # where the .wasm binaries go. `webgpu` is imported by a computed name, so it stays outside.
  node_modules/.bin/esbuild bench/gpu.ts --bundle --platform=node --format=esm --target=node20 \
    --log-level=warning --outfile="$stage/gpu-bench.mjs" \
    --banner:js="import {createRequire as __createRequire} from 'node:module'; import {fileURLToPath as __fileURLToPath} from 'node:url'; import {dirname as __pathDirname} from 'node:path'; const require = __createRequire(import.meta.url); const __filename = __fileURLToPath(import.meta.url); const __dirname = __pathDirname(__filename);"
  cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$stage/"
  mkdir -p "$stage/node_modules/webgpu/dist/linux-x64"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$stage/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$stage/node_modules/webgpu/dist/linux-x64/"
  cp "$(command -v node)" "$stage/node"
  # Vulkan loader: Debian's libvulkan1 when apt can fetch it, else the copy Chromium ships (both
  # are the Khronos loader; the NVIDIA image may lack one). Unpacked into the archive, never into /.
  mkdir -p "$stage/lib"
  local debs
  debs="$(mktemp -d)"
  if (cd "$debs" && apt-get download libvulkan1 >/dev/null 2>&1) && dpkg -x "$debs"/libvulkan1_*.deb "$debs/root"; then
    cp -P "$debs"/root/usr/lib/x86_64-linux-gnu/libvulkan.so.1* "$stage/lib/"
    echo "Vulkan loader: Debian $(basename "$debs"/libvulkan1_*.deb)"
  elif [ -f /usr/lib/chromium/libvulkan.so.1 ]; then
    cp /usr/lib/chromium/libvulkan.so.1 "$stage/lib/"
    echo "Vulkan loader: Chromium's copy (apt-get download libvulkan1 failed: run apt-get update first for Debian's)"
  else
    echo "gpu-check pack: no Vulkan loader to pack (apt-get update && apt-get download libvulkan1 failed, no chromium)" >&2
    rm -rf "$debs"
    exit 1
  fi
  rm -rf "$debs"
  mkdir -p "$PACK_DIR"
  tar -C "$stage" -cf - . | xz -T0 -6 >"$ARCHIVE.part"
  mv "$ARCHIVE.part" "$ARCHIVE"
  echo "packed $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)); copy the repository with .gpu-bench/ to the GPU machine and run: bash bench/gpu-check.sh run"
}

section() { printf '\n== %s\n' "$1"; }

run() {
  if [ ! -f "$ARCHIVE" ]; then
    echo "gpu-check run: $ARCHIVE is missing: run 'bash bench/gpu-check.sh pack' on the development machine and copy .gpu-bench/ here" >&2
    exit 1
  fi
  rm -rf "$UNPACKED" && mkdir -p "$UNPACKED"
  if command -v xz >/dev/null; then
    xz -dc "$ARCHIVE" | tar -C "$UNPACKED" -xf -
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$ARCHIVE" "$UNPACKED"
  fi

  section "machine"
  uname -srm
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
  else
    echo "nvidia-smi: not found (no NVIDIA driver tools on PATH)"
  fi

  section "Vulkan loader (libvulkan.so.1)"
  if ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    ldconfig -p | grep 'libvulkan\.so\.1'
  else
    echo "none installed: using the packed one ($UNPACKED/lib)"
    export LD_LIBRARY_PATH="$UNPACKED/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi

  section "Vulkan drivers (ICD files)"
  local found=0 dir file
  for dir in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d /etc/xdg/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    for file in "$dir"/*.json; do
      [ -f "$file" ] || continue
      found=1
      echo "$file: $(tr -d '\n ' <"$file" | grep -o '"library_path":"[^"]*"' || echo 'no library_path')"
    done
  done
  [ "$found" = 1 ] || echo "none found: WebGPU cannot reach the GPU (the NVIDIA driver's Vulkan ICD is missing)"
  if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && ! ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 \
    && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    # NVIDIA's container ICD lies outside the loader's search path (loaders/webgpu-node.ts does the same).
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    echo "set VK_DRIVER_FILES=$VK_DRIVER_FILES"
  fi
  ldconfig -p 2>/dev/null | grep -E 'libGLX_nvidia\.so|libnvidia-glcore\.so' | head -3 || echo "no libGLX_nvidia in the linker cache (the ICD's library may not load)"

  section "node"
  local node=""
  if [ "${GPU_CHECK_NODE:-}" != "packed" ] && command -v node >/dev/null \
    && [ "$(node -p 'Number(process.versions.node.split(".")[0])' 2>/dev/null || echo 0)" -ge 20 ]; then
    node="$(command -v node)"
  else
    node="$UNPACKED/node"
  fi
  echo "$node $("$node" --version)"

  section "bench"
  local args=()
  [ "${GPU_CHECK_ALLOW_SOFTWARE:-}" = 1 ] || args+=(--require-hardware)
  "$node" "$UNPACKED/gpu-bench.mjs" "${args[@]}" "$@"
}

case "${1:-}" in
  pack) pack ;;
  run) shift; run "$@" ;;
  *)
    echo "usage: bash bench/gpu-check.sh pack | run [bench options]" >&2
    exit 2
    ;;
esac
