#!/usr/bin/env bash
# cclocal installer: Node dependencies, the build, `cclocald` and `cclocal` on PATH, and the
# engine: on an Apple Silicon Mac vllm-mlx in ./.venv (the seed's pinned, patched fork), with
# llama-server offered beside it; anywhere else llama.cpp's llama-server, built from source.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
cd "$ROOT"

# The seed's fork branch: tool-call-span-safe Gemma cleaning, --tool-call-truncation-notice, and
# the MLX pins below (mlx 0.31.2 breaks GPU streams in worker threads; mlx-vlm 0.5 needs it).
VLLM_MLX_REPO="git+https://github.com/vitorallo/vllm-mlx.git@fix/gemma4-toolcall-safe-and-faildloud"
MLX_PINS=("mlx==0.31.1" "mlx-lm==0.31.1" "mlx-vlm<0.5.0")

say() { printf '%s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

say "=== cclocal setup ==="

command -v node >/dev/null || die "Node.js 20 or newer is required (https://nodejs.org)."
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "Node.js 20 or newer is required; this is $(node -v)."

say "[1/4] Installing Node dependencies..."
if [ -f package-lock.json ]; then npm ci --no-fund --no-audit; else npm install --no-fund --no-audit; fi

say "[2/4] Building..."
npm run build --silent

say "[3/4] Putting cclocald and cclocal on PATH..."
if npm link --no-fund --no-audit >/dev/null 2>&1; then
  say "  linked with npm link ($(npm prefix -g)/bin)"
else
  # No write access to npm's global prefix: link into ~/.local/bin as the seed did.
  mkdir -p "$HOME/.local/bin"
  ln -sf "$ROOT/bin/cclocald.js" "$HOME/.local/bin/cclocald"
  ln -sf "$ROOT/bin/cclocal" "$HOME/.local/bin/cclocal"   # the shell launcher finds the package through the link
  say "  linked into ~/.local/bin"
  case ":$PATH:" in
    *":$HOME/.local/bin:"*) ;;
    *) say "  NOTE: ~/.local/bin is not on your PATH. Add it with:"
       say "    export PATH=\"\$HOME/.local/bin:\$PATH\"" ;;
  esac
fi

# llama.cpp's llama-server, built from the source the pinned node-llama-cpp ships (once per
# version, into ~/.cache/cclocal/llama-server/), or Homebrew's on a Mac.
build_llama_server() {
  local need=""
  for tool in cmake g++ git; do command -v "$tool" >/dev/null || need="$need $tool"; done
  if [ "$(uname -s)" = "Linux" ] && [ ! -f /usr/include/openssl/ssl.h ]; then need="$need libssl-dev"; fi
  if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "  Installing the build tools:$need"
      apt-get update -qq && apt-get install -y -qq $need
    else
      die "llama-server is built from source and needs:$need. Install them (Debian/Ubuntu: sudo apt-get install$need; macOS: xcode-select --install and brew install cmake), then run ./install.sh again."
    fi
  fi
  local bin
  bin=$(bash "$ROOT/scripts/build-llama-server.sh") || die "the llama-server build failed (its last lines are above)."
  say "  llama-server: $bin (cclocald finds it there by itself)"
}

say "[4/4] The engine..."
if [ "$(uname -s)" = "Darwin" ] && [ "$(uname -m)" = "arm64" ]; then
  say "  vllm-mlx (MLX, the default engine on Apple Silicon)..."
  if ! command -v uv >/dev/null; then
    command -v brew >/dev/null || die "uv is needed and brew was not found. Install Homebrew first: https://brew.sh"
    brew install uv
  fi
  if [ -d "$ROOT/.venv" ]; then
    say "  Upgrading existing venv..."
    uv pip install --python "$ROOT/.venv/bin/python3" --upgrade --force-reinstall "$VLLM_MLX_REPO" "${MLX_PINS[@]}"
  else
    say "  Creating venv..."
    uv venv "$ROOT/.venv"
    uv pip install --python "$ROOT/.venv/bin/python3" "$VLLM_MLX_REPO" "${MLX_PINS[@]}"
  fi
  [ -x "$ROOT/.venv/bin/vllm-mlx" ] || die "vllm-mlx binary not found in $ROOT/.venv after the install."
  say "  vllm-mlx installed: $ROOT/.venv/bin/vllm-mlx (cclocald finds it there by itself)"
  # llama-server beside it, for GGUF models (cclocal --engine llama-server): CCLOCAL_LLAMA_SERVER
  # = build (a Metal build from source), brew (Homebrew's llama.cpp) or skip; asked on a terminal.
  choice="${CCLOCAL_LLAMA_SERVER:-}"
  if [ -z "$choice" ] && [ -t 0 ]; then
    printf 'Also install llama.cpp'"'"'s llama-server for GGUF models? [b]uild it (Metal), [h]omebrew, [s]kip: '
    read -r answer || answer=s
    case "$answer" in b*|B*) choice=build ;; h*|H*) choice=brew ;; *) choice=skip ;; esac
  fi
  case "${choice:-skip}" in
    build) build_llama_server ;;
    brew) command -v brew >/dev/null || die "brew was not found: https://brew.sh"; brew install llama.cpp
          say "  llama-server: $(command -v llama-server || echo /opt/homebrew/bin/llama-server)" ;;
    *) say "  llama-server skipped (CCLOCAL_LLAMA_SERVER=build or brew ./install.sh adds it)" ;;
  esac
else
  say "  llama-server (llama.cpp; vllm-mlx needs an Apple Silicon Mac)..."
  build_llama_server
fi

if ! command -v claude >/dev/null; then
  say "NOTE: Claude Code was not found. Install it with: npm install -g @anthropic-ai/claude-code"
fi

say "=== Setup complete ==="
say "  cclocal               pick a model and start Claude Code on it (starts the daemon when needed)"
say "  cclocald status       the daemon and its engine at a glance"
