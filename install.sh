#!/usr/bin/env bash
# cclocal installer: Node dependencies, the build, `cclocald` and `cclocal` on PATH, and on an
# Apple Silicon Mac the vllm-mlx engine in ./.venv (the seed's pinned, patched fork).
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

say "[4/4] The engine (vllm-mlx)..."
if [ "$(uname -s)" = "Darwin" ] && [ "$(uname -m)" = "arm64" ]; then
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
else
  say "  This is not an Apple Silicon Mac: vllm-mlx (MLX) cannot run here."
  say "  Install an engine by hand and point cclocald at it:"
  say "    export CCLOCAL_ENGINE_BIN=/path/to/vllm-mlx"
  say "  (without it cclocald looks in $ROOT/.venv/bin, then on PATH)."
fi

if ! command -v claude >/dev/null; then
  say "NOTE: Claude Code was not found. Install it with: npm install -g @anthropic-ai/claude-code"
fi

say "=== Setup complete ==="
say "  cclocal               pick a model and start Claude Code on it (starts the daemon when needed)"
say "  cclocald status       the daemon and its engine at a glance"
