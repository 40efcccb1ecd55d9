#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the source that the npm package node-llama-cpp ships
# (llama/gitRelease.bundle, a git bundle of a llama.cpp release), once per pinned version, into a
# cache folder outside the clone; prints the binary's path. A CPU build on Linux, CUDA when nvcc
# is on PATH and nvidia-smi sees a GPU (falling back to CPU, with the reason, if the toolkit cannot
# configure), Metal on a Mac; static, so the one file is the whole server. Needs cmake, a C++
# compiler, git and npm (and OpenSSL's headers for -hf downloads over HTTPS).
# Also keeps, beside it, the bundle's Qwen2 vocabulary and its gguf-py writer, from which
# scripts/tiny-gguf.py makes test models.
set -euo pipefail
VERSION="${NODE_LLAMA_CPP_VERSION:-3.21.1}"
ROOT="${CCLOCAL_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cclocal}/llama-server/node-llama-cpp-$VERSION"
if [ -x "$ROOT/bin/llama-server" ]; then echo "$ROOT/bin/llama-server"; exit 0; fi
for tool in cmake g++ git npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build-llama-server: $tool is missing (Debian: apt-get install cmake g++ git)" >&2; exit 1; }
done
mkdir -p "$(dirname "$ROOT")"
work=$(mktemp -d "$(dirname "$ROOT")/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# npm pack fetches the package without installing it or running its scripts.
(cd "$work" && npm pack "node-llama-cpp@$VERSION" --silent >/dev/null && tar xzf "node-llama-cpp-$VERSION.tgz" package/llama/gitRelease.bundle)
git clone -q "$work/package/llama/gitRelease.bundle" "$work/src" 2>/dev/null
flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF)
backend=CPU
if command -v nvcc >/dev/null 2>&1; then
  if nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then backend=CUDA; else echo "build-llama-server: nvcc is here but no GPU is visible: a CPU build" >&2; fi
fi
[ "$(uname -s)" = Darwin ] && backend=Metal # ggml's default on macOS
echo "build-llama-server: building llama-server ($backend) from node-llama-cpp $VERSION (a few minutes)" >&2
configure() { cmake -S "$work/src" -B "$work/build" "${flags[@]}" "$@" >"$work/cmake.log" 2>&1; }
if [ "$backend" = CUDA ] && ! configure -DGGML_CUDA=ON; then
  # A toolkit without cuBLAS (or too old for the compiler) cannot build ggml-cuda: say so, build CPU.
  echo "build-llama-server: the CUDA configure failed ($(grep -m1 -i error "$work/cmake.log" || true)); a CPU build instead" >&2
  rm -rf "$work/build"; backend=CPU
fi
if [ "$backend" != CUDA ]; then configure || { tail -30 "$work/cmake.log" >&2; exit 1; }; fi
cmake --build "$work/build" --target llama-server -j"$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
out="$work/out"
mkdir -p "$out/bin" "$out/share"
cp "$work/build/bin/llama-server" "$out/bin/"
cp "$work/src/models/ggml-vocab-qwen2.gguf" "$out/share/"
cp -r "$work/src/gguf-py" "$out/share/gguf-py"
# Whole or not at all: a build cut short never looks finished.
rm -rf "$ROOT" && mv "$out" "$ROOT"
echo "$ROOT/bin/llama-server"
