#!/usr/bin/env bash
# cclocal installer: Node dependencies, the build, `cclocald` and `cclocal` on PATH, Claude Code
# (installed with npm into a prefix you own when it is missing), and the engine: on an Apple
# Silicon Mac vllm-mlx in ./.venv (the seed's pinned, patched fork), with llama-server offered
# beside it; anywhere else llama.cpp's llama-server, built from source.
# `./install.sh --uninstall` removes what it added: it keeps a list (the manifest) of every link,
# package, folder and shell-rc line it created, and removes only those, and the login service.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
cd "$ROOT"

# The seed's fork branch: tool-call-span-safe Gemma cleaning, --tool-call-truncation-notice, and
# the MLX pins below (mlx 0.31.2 breaks GPU streams in worker threads; mlx-vlm 0.5 needs it).
VLLM_MLX_REPO="git+https://github.com/vitorallo/vllm-mlx.git@fix/gemma4-toolcall-safe-and-faildloud"
MLX_PINS=("mlx==0.31.1" "mlx-lm==0.31.1" "mlx-vlm<0.5.0")

# What npm installs when Claude Code is missing: any npm spec (a version, a tarball, a folder).
CLAUDE_PACKAGE="${CCLOCAL_CLAUDE_PACKAGE:-@anthropic-ai/claude-code}"
# The prefix used when npm's global one is not writable: bin/ is where cclocal is linked too.
LOCAL_PREFIX="$HOME/.local"
MANIFEST_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/cclocal"
MANIFEST="$MANIFEST_DIR/install-manifest"
RC_MARK="# added by cclocal's install.sh (./install.sh --uninstall removes this line)"

say() { printf '%s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck disable=SC2088 # the ~ is for display
tilde() { case "$1" in "$HOME"/*) printf '~/%s' "${1#"$HOME"/}" ;; *) printf '%s' "$1" ;; esac; }
# A command as one can paste it.
shown_cmd() { local s="" a; for a in "$@"; do s="$s $(printf '%q' "$a")"; done; printf '%s' "${s# }"; }

usage() {
  cat <<'USAGE'
Usage: ./install.sh [--no-modify-path]
       ./install.sh --uninstall

  (no option)        Node dependencies, the build, cclocald and cclocal on PATH, Claude Code when
                     it is missing (npm, into a prefix you own, never sudo), and the engine.
  --no-modify-path   do not add the bin folder to your shell's rc file; say what to add instead.
  --uninstall        remove what ./install.sh added (its manifest lists it) and the login service.

Environment: CCLOCAL_CLAUDE_PACKAGE (the npm spec for Claude Code; default
@anthropic-ai/claude-code), CCLOCAL_CLAUDE_BIN (the claude cclocal runs), CCLOCAL_LLAMA_SERVER
(build|brew|skip), CCLOCAL_SKIP_BUILD=1 (node_modules and dist/ are already there).
USAGE
}

MODE=install
MODIFY_PATH=1
for arg in "$@"; do
  case "$arg" in
    --uninstall) MODE=uninstall ;;
    --no-modify-path) MODIFY_PATH=0 ;;
    -h|--help) usage; exit 0 ;;
    *) printf 'install.sh: unknown option %s\n\n' "$arg" >&2; usage >&2; exit 2 ;;
  esac
done

# --- The manifest: one line per thing added, tab-separated: kind, then its fields. ---------------
#   dir <path>                 a folder it created (removed at uninstall if empty)
#   link <path>                a symlink to this clone's bin/ (removed if it still points here)
#   npm-link <prefix>          `npm link` of this clone into that npm prefix
#   npm-package <prefix> <name>  a package it installed with npm into that prefix (Claude Code)
#   rc-line <file> <line>      the PATH line it appended to a shell rc file
#   file <path>                a file it created (the rc file; removed if empty after the line goes)

# The folders `mkdir -p DIR` would create, outermost first, one a line.
missing_dirs() {
  local d=$1 out=""
  while [ ! -e "$d" ] && [ ! -L "$d" ]; do out="$d"$'\n'"$out"; d=$(dirname "$d"); done
  printf '%s' "$out"
}

record() {
  local line
  line=$(IFS=$'\t'; printf '%s' "$*")
  if [ ! -f "$MANIFEST" ]; then
    local created
    created=$(missing_dirs "$MANIFEST_DIR")
    mkdir -p "$MANIFEST_DIR"
    {
      say "# What ./install.sh added (kind, then tab-separated fields); ./install.sh --uninstall removes these and nothing else."
      while IFS= read -r d; do [ -z "$d" ] || printf 'dir\t%s\n' "$d"; done <<<"$created"
    } >"$MANIFEST"
  fi
  grep -Fxq -- "$line" "$MANIFEST" || printf '%s\n' "$line" >>"$MANIFEST"
}

# mkdir -p, recording each folder it creates.
make_dirs() {
  local created
  created=$(missing_dirs "$1")
  mkdir -p "$1"
  while IFS= read -r d; do [ -z "$d" ] || record dir "$d"; done <<<"$created"
  return 0
}

# npm can write its global folders under PREFIX: lib/node_modules and bin, or the nearest folder
# above each that exists. (A prefix under a regular file is unwritable even for root.)
prefix_writable() {
  local d
  for d in "$1/lib/node_modules" "$1/bin"; do
    while [ ! -e "$d" ] && [ ! -L "$d" ]; do d=$(dirname "$d"); done
    [ -d "$d" ] && [ -w "$d" ] || return 1
  done
}

# The target of symlink $1, made absolute (one level, as ln -s and npm write them).
link_target() {
  local t
  t=$(readlink "$1") || return 1
  case "$t" in /*) ;; *) t="$(cd -P "$(dirname "$1")" && pwd -P)/$t" ;; esac
  printf '%s' "$t"
}
points_here() { local t; [ -L "$1" ] && t=$(link_target "$1") && case "$t" in "$ROOT"/*) true ;; *) false ;; esac; }

# --- PATH: the bin folder on PATH for new shells, through one line in the shell's rc file. -------
rc_file() {
  case "$(basename "${SHELL:-sh}")" in
    zsh) printf '%s' "${ZDOTDIR:-$HOME}/.zshrc" ;;
    bash)
      if [ "$(uname -s)" = Darwin ]; then
        # Terminal.app starts login shells: the first of these that exists is the one bash reads.
        for f in .bash_profile .bash_login .profile; do [ -f "$HOME/$f" ] && { printf '%s' "$HOME/$f"; return; }; done
        printf '%s' "$HOME/.bash_profile"
      else
        printf '%s' "$HOME/.bashrc"
      fi ;;
    sh|dash|ksh|mksh) printf '%s' "$HOME/.profile" ;;
    *) return 1 ;; # fish, tcsh, ...: another syntax; the NOTE says what to add
  esac
}

add_to_path() {
  local dir=$1 shown rc line
  case ":$PATH:" in *":$dir:"*) return 0 ;; esac
  shown=$dir
  case "$dir" in "$HOME"/*) shown="\$HOME/${dir#"$HOME"/}" ;; esac
  line="export PATH=\"$shown:\$PATH\" $RC_MARK"
  case "$dir" in *[\"\$\`\\]*) rc="" ;; *) rc=$(rc_file) || rc="" ;; esac
  if [ "$MODIFY_PATH" = 0 ] || [ -z "$rc" ]; then
    say "  NOTE: $(tilde "$dir") is not on your PATH. Add it with:"
    say "    export PATH=\"$shown:\$PATH\""
    return 0
  fi
  if [ -f "$rc" ] && grep -Fxq -- "$line" "$rc"; then
    say "  $(tilde "$dir") is put on PATH by $(tilde "$rc") (open a new shell, or: export PATH=\"$shown:\$PATH\")"
    record rc-line "$rc" "$line"
    return 0
  fi
  if [ ! -e "$rc" ]; then make_dirs "$(dirname "$rc")"; : >"$rc"; record file "$rc"; fi
  # A file that does not end in a newline gets one first, so the line is a line of its own.
  if [ -s "$rc" ] && [ -n "$(tail -c 1 "$rc")" ]; then printf '\n' >>"$rc"; fi
  printf '%s\n' "$line" >>"$rc"
  record rc-line "$rc" "$line"
  say "  added $(tilde "$dir") to PATH in $(tilde "$rc") (open a new shell, or: export PATH=\"$shown:\$PATH\")"
}

# --- Claude Code ---------------------------------------------------------------------------------
# The claude cclocal would run (client/attach.ts findClaude): CCLOCAL_CLAUDE_BIN (a path, or a name
# looked up on PATH), else `claude` on PATH; $1 is the PATH to search.
find_claude() {
  local wanted="${CCLOCAL_CLAUDE_BIN:-claude}" d dirs
  case "$wanted" in
    */*) [ -f "$wanted" ] && [ -x "$wanted" ] && { printf '%s' "$wanted"; return 0; }; return 1 ;;
  esac
  IFS=: read -r -a dirs <<<"$1"
  for d in "${dirs[@]}"; do
    [ -n "$d" ] && [ -f "$d/$wanted" ] && [ -x "$d/$wanted" ] && { printf '%s' "$d/$wanted"; return 0; }
  done
  return 1
}

# npm install -g of CLAUDE_PACKAGE into PREFIX (npm's own global prefix when it is writable, else
# ~/.local): never sudo. What it added goes into the manifest.
install_claude() {
  local args=(install -g --no-fund --no-audit)
  [ "$PREFIX" = "$NPM_PREFIX" ] || args+=(--prefix "$PREFIX")
  args+=("$CLAUDE_PACKAGE")
  local cmd
  cmd=$(shown_cmd npm "${args[@]}")
  say "  Claude Code was not found: $cmd"
  make_dirs "$PREFIX/lib/node_modules"
  make_dirs "$PREFIX/bin"
  local before
  before=$(ls -A "$PREFIX/lib/node_modules")
  npm "${args[@]}" ||
    die "npm could not install Claude Code (its messages are above). Install it yourself with: $cmd (see https://docs.anthropic.com/en/docs/claude-code), or set CCLOCAL_CLAUDE_BIN to a claude you have; then run ./install.sh again."
  [ -L "$PREFIX/bin/claude" ] || die "$CLAUDE_PACKAGE installed no claude command in $PREFIX/bin: is it Claude Code? (CCLOCAL_CLAUDE_PACKAGE=$CLAUDE_PACKAGE)"
  local target rest name
  target=$(readlink "$PREFIX/bin/claude")
  rest=${target#*node_modules/}
  if [ "$rest" = "$target" ]; then
    say "  NOTE: $PREFIX/bin/claude is not an npm package's command; ./install.sh --uninstall will leave it"
    return 0
  fi
  case "$rest" in
    @*/*) name="${rest%%/*}"; rest=${rest#*/}; name="$name/${rest%%/*}" ;;
    *) name="${rest%%/*}" ;;
  esac
  # npm uninstall leaves a package's @scope folder: it goes with the rest if it is new.
  case "$name" in
    @*/*) grep -Fxq -- "${name%%/*}" <<<"$before" || record dir "$PREFIX/lib/node_modules/${name%%/*}" ;;
  esac
  record npm-package "$PREFIX" "$name"
  say "  installed $name into $(tilde "$PREFIX") (its claude: $(tilde "$PREFIX/bin/claude"))"
}

# Runs `claude --version` as cclocal would run claude; prints its first line.
claude_version() {
  local out
  if command -v timeout >/dev/null; then out=$(timeout 60 "$1" --version 2>&1 </dev/null) || { printf '%s' "$out"; return 1; }
  else out=$("$1" --version 2>&1 </dev/null) || { printf '%s' "$out"; return 1; }
  fi
  [ -n "$out" ] || return 1
  printf '%s' "${out%%$'\n'*}"
}

# --- --uninstall ---------------------------------------------------------------------------------
uninstall() {
  say "=== cclocal uninstall ==="
  local removed=0 failed=0 out rc kind a b line
  local cclocal_home="${CCLOCAL_HOME:-$HOME/.cclocal}"

  # The login service, through this clone's own cclocald (it need not be on PATH any more).
  if [ -f "$ROOT/dist/daemon/main.js" ] && command -v node >/dev/null; then
    rc=0; out=$(node "$ROOT/bin/cclocald.js" uninstall 2>&1) || rc=$?
    if [ "$out" != "no login service is installed" ]; then
      printf '%s\n' "$out" | sed 's/^/  /'
      if [ "$rc" = 0 ]; then removed=$((removed + 1)); else failed=1; fi
    fi
    # A daemon cclocal started without the service keeps running this clone: stop it.
    if [ -S "$cclocal_home/cclocald.sock" ]; then
      rc=0; out=$(node "$ROOT/bin/cclocald.js" stop 2>&1) || rc=$?
      [ "$out" = "cclocald is not running" ] || printf '%s\n' "$out" | sed 's/^/  /'
      [ "$rc" = 0 ] || failed=1
    fi
  else
    for f in "$HOME/.config/systemd/user/cclocald.service" "$HOME/Library/LaunchAgents/dev.cclocal.cclocald.plist"; do
      if [ -e "$f" ]; then
        say "  cannot remove the login service $f: $ROOT/dist is missing (npm run build, then ./install.sh --uninstall again)" >&2
        failed=1
      fi
    done
  fi

  local -a packages=() npm_links=() links=() rc_lines=() files=() dirs=()
  if [ -f "$MANIFEST" ]; then
    while IFS=$'\t' read -r kind a b; do
      case "$kind" in
        npm-package) packages+=("$a"$'\t'"$b") ;;
        npm-link) npm_links+=("$a") ;;
        link) links+=("$a") ;;
        rc-line) rc_lines+=("$a"$'\t'"$b") ;;
        file) files+=("$a") ;;
        dir) dirs+=("$a") ;;
      esac
    done <"$MANIFEST"
  fi
  # Links an older ./install.sh made (it kept no manifest), where they still point into this clone.
  for a in "$LOCAL_PREFIX/bin/cclocal" "$LOCAL_PREFIX/bin/cclocald"; do
    points_here "$a" && links+=("$a")
  done
  if command -v npm >/dev/null; then
    a=$(npm prefix -g 2>/dev/null || true)
    [ -n "$a" ] && [ -L "$a/lib/node_modules/cclocal" ] && npm_links+=("$a")
  fi

  for line in ${packages[@]+"${packages[@]}"}; do
    a=${line%%$'\t'*}; b=${line#*$'\t'}
    if [ -e "$a/lib/node_modules/$b" ]; then
      if npm uninstall -g --no-fund --no-audit --prefix "$a" "$b" >/dev/null; then
        say "  removed $b from $(tilde "$a") (./install.sh installed it)"; removed=$((removed + 1))
      else
        say "  could not remove $b from $(tilde "$a"): npm uninstall -g --prefix \"$a\" $b failed" >&2; failed=1
      fi
    fi
  done
  local seen=" "
  for a in ${npm_links[@]+"${npm_links[@]}"}; do
    case "$seen" in *" $a "*) continue ;; esac; seen="$seen$a "
    [ -L "$a/lib/node_modules/cclocal" ] || continue
    if [ "$(cd -P "$a/lib/node_modules/cclocal" 2>/dev/null && pwd -P)" != "$ROOT" ]; then
      say "  kept $a/lib/node_modules/cclocal: it links another clone"; continue
    fi
    if npm rm -g --no-fund --no-audit --prefix "$a" cclocal >/dev/null; then
      say "  removed the npm link of cclocal and cclocald from $(tilde "$a")"; removed=$((removed + 1))
    else
      say "  could not remove the npm link: npm rm -g --prefix \"$a\" cclocal failed" >&2; failed=1
    fi
  done
  seen=" "
  for a in ${links[@]+"${links[@]}"}; do
    case "$seen" in *" $a "*) continue ;; esac; seen="$seen$a "
    [ -L "$a" ] || continue
    if points_here "$a"; then rm -f "$a"; say "  removed $(tilde "$a")"; removed=$((removed + 1))
    else say "  kept $(tilde "$a"): it no longer points into $ROOT"
    fi
  done
  for line in ${rc_lines[@]+"${rc_lines[@]}"}; do
    a=${line%%$'\t'*}; b=${line#*$'\t'}
    if [ ! -f "$a" ] || ! grep -Fxq -- "$b" "$a"; then continue; fi
    local tmp
    tmp=$(mktemp)
    grep -Fxv -- "$b" "$a" >"$tmp" || true
    cat "$tmp" >"$a" # in place: the rc file keeps its mode, owner and any symlink to it
    rm -f "$tmp"
    say "  removed the PATH line from $(tilde "$a")"; removed=$((removed + 1))
  done
  for a in ${files[@]+"${files[@]}"}; do
    if [ -f "$a" ] && [ ! -s "$a" ]; then rm -f "$a"; say "  removed $(tilde "$a") (empty; ./install.sh created it)"; fi
  done
  # Kept while a step failed: a second --uninstall, after the fix, finds what is still to remove.
  if [ -f "$MANIFEST" ] && [ "$failed" = 0 ]; then rm -f "$MANIFEST"; removed=$((removed + 1)); fi
  # Folders it created, deepest first, where they are empty now.
  while IFS= read -r a; do
    if [ -n "$a" ] && [ -d "$a" ] && rmdir "$a" 2>/dev/null; then say "  removed $(tilde "$a")/ (empty; ./install.sh created it)"; fi
  done < <(printf '%s\n' ${dirs[@]+"${dirs[@]}"} | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)

  if [ "$removed" = 0 ] && [ "$failed" = 0 ]; then
    say "Nothing to remove: no login service is installed, and ./install.sh has added nothing here (no $(tilde "$MANIFEST"))."
    return 0
  fi
  local kept="this clone ($ROOT, with node_modules, dist and any .venv)"
  [ -d "$cclocal_home" ] && kept="$kept, $(tilde "$cclocal_home") (the daemon's logs and config)"
  kept="$kept, the llama-server build in $(tilde "${CCLOCAL_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cclocal}") if any, and downloaded models"
  say "Left in place: $kept."
  if [ "$failed" != 0 ]; then say "=== Uninstall incomplete (see above) ==="; return 1; fi
  say "=== Uninstall complete ==="
}

if [ "$MODE" = uninstall ]; then uninstall; exit $?; fi

say "=== cclocal setup ==="

command -v node >/dev/null || die "Node.js 20 or newer is required (https://nodejs.org)."
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "Node.js 20 or newer is required; this is $(node -v)."

if [ "${CCLOCAL_SKIP_BUILD:-}" = 1 ]; then
  # A checkout whose dependencies and build are already there (a developer's, the tests').
  say "[1/5] Node dependencies: skipped (CCLOCAL_SKIP_BUILD=1)"
  say "[2/5] Building: skipped (CCLOCAL_SKIP_BUILD=1)"
  for f in dist/daemon/main.js dist/client/main.js; do
    [ -f "$ROOT/$f" ] || die "CCLOCAL_SKIP_BUILD=1, but $ROOT/$f is missing: run npm ci && npm run build, or ./install.sh without it."
  done
else
  say "[1/5] Installing Node dependencies..."
  if [ -f package-lock.json ]; then npm ci --no-fund --no-audit; else npm install --no-fund --no-audit; fi

  say "[2/5] Building..."
  npm run build --silent
fi

say "[3/5] Putting cclocald and cclocal on PATH..."
NPM_PREFIX=$(npm prefix -g 2>/dev/null || true)
npm_dirs=$( { missing_dirs "$NPM_PREFIX/lib/node_modules"; missing_dirs "$NPM_PREFIX/bin"; } | awk '!seen[$0]++')
if [ -n "$NPM_PREFIX" ] && prefix_writable "$NPM_PREFIX" && npm link --no-fund --no-audit >/dev/null 2>&1; then
  PREFIX=$NPM_PREFIX
  while IFS= read -r d; do [ -z "$d" ] || [ ! -d "$d" ] || record dir "$d"; done <<<"$npm_dirs"
  record npm-link "$NPM_PREFIX"
  say "  linked with npm link ($NPM_PREFIX/bin)"
else
  # No write access to npm's global prefix: link into ~/.local/bin as the seed did.
  PREFIX=$LOCAL_PREFIX
  make_dirs "$PREFIX/bin"
  ln -sf "$ROOT/bin/cclocald.js" "$PREFIX/bin/cclocald"
  record link "$PREFIX/bin/cclocald"
  ln -sf "$ROOT/bin/cclocal" "$PREFIX/bin/cclocal"   # the shell launcher finds the package through the link
  record link "$PREFIX/bin/cclocal"
  say "  linked into $(tilde "$PREFIX/bin")"
fi
BIN_DIR="$PREFIX/bin"
add_to_path "$BIN_DIR"
# The PATH a new shell has from now on: where cclocal looks for claude.
case ":$PATH:" in *":$BIN_DIR:"*) SETUP_PATH=$PATH ;; *) SETUP_PATH="$BIN_DIR:$PATH" ;; esac

say "[4/5] Claude Code..."
if claude=$(find_claude "$SETUP_PATH"); then
  :
elif [ -n "${CCLOCAL_CLAUDE_BIN:-}" ]; then
  die "CCLOCAL_CLAUDE_BIN=$CCLOCAL_CLAUDE_BIN is not an executable file, and it is the claude cclocal runs. Point it at Claude Code's claude, or unset it (./install.sh then installs Claude Code when it is missing), and run ./install.sh again."
else
  install_claude
  claude=$(find_claude "$SETUP_PATH") || die "Claude Code was installed, but no claude is found on $SETUP_PATH."
fi
if ! version=$(claude_version "$claude"); then
  if [ -n "${CCLOCAL_CLAUDE_BIN:-}" ]; then fix="point CCLOCAL_CLAUDE_BIN at a claude that runs, or unset it"
  elif [ "$PREFIX" = "$NPM_PREFIX" ]; then fix="reinstall it ($(shown_cmd npm install -g "$CLAUDE_PACKAGE")), or set CCLOCAL_CLAUDE_BIN to a claude that runs"
  else fix="reinstall it ($(shown_cmd npm install -g --prefix "$PREFIX" "$CLAUDE_PACKAGE")), or set CCLOCAL_CLAUDE_BIN to a claude that runs"
  fi
  die "cclocal could not start Claude Code: \`$claude --version\` failed${version:+: $version}. Fix: $fix; then run ./install.sh again."
fi
say "  $(tilde "$claude") --version: $version"

# llama.cpp's llama-server, built from the source the pinned node-llama-cpp ships (once per
# version, into ~/.cache/cclocal/llama-server/), or Homebrew's on a Mac.
build_llama_server() {
  local need=""
  for tool in cmake g++ git; do command -v "$tool" >/dev/null || need="$need $tool"; done
  if [ "$(uname -s)" = "Linux" ] && [ ! -f /usr/include/openssl/ssl.h ]; then need="$need libssl-dev"; fi
  if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "  Installing the build tools:$need"
      # shellcheck disable=SC2086 # one word per package
      apt-get update -qq && apt-get install -y -qq $need
    else
      die "llama-server is built from source and needs:$need. Install them (Debian/Ubuntu: sudo apt-get install$need; macOS: xcode-select --install and brew install cmake), then run ./install.sh again."
    fi
  fi
  local bin
  bin=$(bash "$ROOT/scripts/build-llama-server.sh") || die "the llama-server build failed (its last lines are above)."
  say "  llama-server: $bin (cclocald finds it there by itself)"
}

say "[5/5] The engine..."
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
elif [ "${CCLOCAL_LLAMA_SERVER:-}" = skip ]; then
  # Only a remote engine, or an engine of your own (CCLOCAL_ENGINE_BIN): nothing to build.
  say "  llama-server skipped (CCLOCAL_LLAMA_SERVER=skip; without it ./install.sh builds it)"
else
  say "  llama-server (llama.cpp; vllm-mlx needs an Apple Silicon Mac)..."
  build_llama_server
fi

say "=== Setup complete ==="
say "  cclocal               pick a model and start Claude Code on it (starts the daemon when needed)"
say "  cclocald status       the daemon and its engine at a glance"
say "  ./install.sh --uninstall   remove what this added (and the login service)"
