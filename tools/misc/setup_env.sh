#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment at .venv/ with the whole
# pinned OpenMMLab stack (requirements/constraints.txt), including mmcv 2.1.0
# with its compiled ops, built from the sdist against the installed torch.
#
#   bash tools/misc/setup_env.sh          # what `make env` runs
#
# Environment variables:
#   PYTHON            interpreter for a new venv (default: python3)
#   VENV              venv folder (default: <repo>/.venv)
#   MMHUMAN_EXT_CACHE cache folder for built wheels (default: ~/.cache/mmhuman_ext)
#   MAX_JOBS          parallel compile jobs for mmcv (default: nproc)
#   GPU               1 / 0: install torch's CUDA libraries and triton or not
#                     (default: when nvidia-smi lists a GPU)
#
# On a machine without a GPU, torch's CUDA libraries (3.2 GB) are skipped if
# the installed torch runs without them (a CPU build, e.g. from PyTorch's CPU
# index); PyPI's CUDA build needs them to import, so then only triton
# (0.9 GB, GPU kernels) is skipped.
#
# The mmcv wheel is cached under $MMHUMAN_EXT_CACHE/wheels/<torch>-<python>/,
# so a second set-up takes seconds and a torch change triggers a rebuild.
# A stamp in the venv records the hash of the pinned files: when nothing
# changed and the stack imports, the script returns at once.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
CACHE=${MMHUMAN_EXT_CACHE:-$HOME/.cache/mmhuman_ext}
REQ=$ROOT/requirements
CONSTRAINTS=$REQ/constraints.txt
MMCV_VERSION=$(sed -n 's/^mmcv==//p' "$CONSTRAINTS")
STAMP=$VENV/.mmhuman_ext_setup

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

inputs_hash() {
  cat "$CONSTRAINTS" "$REQ"/*.txt "$ROOT/setup.cfg" "${BASH_SOURCE[0]}" \
    | sha256sum | cut -c1-16
}

stack_imports() {
  "$VENV/bin/python" - <<'PY' >/dev/null 2>&1
import mmcv.ops, mmpose.models, mmdet.models, torchvision, xtcocotools._mask
import mmhuman_ext
PY
}

# an NVIDIA GPU is present (GPU=1 / GPU=0 overrides the detection)
has_gpu() {
  case ${GPU:-} in
    1) return 0 ;;
    0) return 1 ;;
    *) command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 ;;
  esac
}

# Install the installed torch / torchvision's own requirements for this
# platform of one kind, "cuda" (nvidia-*, cuda-*, triton) or "plain" (the
# rest), leaving out the packages named after it.
install_torch_requirements() {
  local reqs=()
  mapfile -t reqs < <("$VENV/bin/python" - "$@" <<'PY'
import sys
from importlib.metadata import requires
from packaging.requirements import Requirement
for dist in ('torch', 'torchvision'):
    for line in requires(dist) or []:
        req = Requirement(line)
        if req.name in ['torch'] + sys.argv[2:] or (
                req.marker and not req.marker.evaluate({'extra': ''})):
            continue
        cuda = req.name.startswith(('nvidia-', 'cuda-')) or req.name == 'triton'
        if cuda == (sys.argv[1] == 'cuda'):
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ''
            print(f'{req.name}{extras}{req.specifier}')
PY
  )
  if (( ${#reqs[@]} )); then pipq install -q -c "$CONSTRAINTS" "${reqs[@]}"; fi
}

# torch imports and computes (a CPU build needs no CUDA libraries)
torch_runs() {
  "$VENV/bin/python" -c 'import torch; torch.randn(2).sum()' >/dev/null 2>&1
}

if [[ -f $STAMP && $(cat "$STAMP") == "$(inputs_hash)" ]] && stack_imports; then
  log "environment $VENV is up to date"
  exit 0
fi

if [[ ! -x $VENV/bin/python ]]; then
  log "creating virtual environment $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
PY=$VENV/bin/python
PIP=("$PY" -m pip --disable-pip-version-check)
# pip, without the machine-wide notes about unused index locations and,
# where torch's CUDA libraries or triton are left out on purpose, without
# the resolver's reminders of them
pipq() {
  "${PIP[@]}" "$@" 2> >(grep -v -E 'WARNING: Location|resolver does not currently take|^torch .* requires (triton|nvidia-|cuda-)' >&2)
}

log "installing build tools (setuptools < 82 keeps pkg_resources for mmcv/mmengine)"
pipq install -q -c "$CONSTRAINTS" pip setuptools wheel ninja psutil packaging cython

log "installing torch and torchvision (a matching pair from the package index)"
pipq install -q --no-deps -c "$CONSTRAINTS" torch torchvision
install_torch_requirements plain
if has_gpu; then
  log "installing torch's CUDA libraries and triton (an NVIDIA GPU is present)"
  install_torch_requirements cuda
elif torch_runs; then
  log "no GPU and this torch build runs without CUDA libraries: none installed"
else
  log "no GPU, but this torch build needs its CUDA libraries to import:" \
      "installing them, without triton (GPU kernels only); a CPU build of" \
      "torch and torchvision needs none (README, 'Your own environment')"
  install_torch_requirements cuda triton
fi

log "installing the runtime dependencies"
pipq install -q -c "$CONSTRAINTS" -r "$REQ/runtime.txt" -r "$REQ/tests.txt"

log "installing mmpose, mmdet, mmagic, lpips without their declared dependencies"
pipq install -q --no-deps -c "$CONSTRAINTS" -r "$REQ/openmmlab.txt"

# ---- mmcv with compiled ops, cached per torch version ----------------------
TORCH_TAG=$("$PY" -c 'import sys, torch; print(f"torch{torch.__version__}-cp{sys.version_info[0]}{sys.version_info[1]}")')
WHEEL_DIR=$CACHE/wheels/$TORCH_TAG
MMCV_MARK=$VENV/.mmcv_built_for
wheel=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)
if [[ -z $wheel ]]; then
  log "building mmcv $MMCV_VERSION with CPU ops against $TORCH_TAG (about 20 minutes on 2 cores)"
  build=$(mktemp -d)
  trap 'rm -rf "$build"' EXIT
  pipq download -q --no-deps --no-binary :all: --no-build-isolation \
    "mmcv==$MMCV_VERSION" -d "$build"
  tar -xzf "$build/mmcv-$MMCV_VERSION.tar.gz" -C "$build"
  # torch >= 2.10 headers need C++20; mmcv 2.1.0's setup.py asks for C++17.
  sed -i "s/c++17'/c++20'/g" "$build/mmcv-$MMCV_VERSION/setup.py"
  mkdir -p "$WHEEL_DIR"
  (cd "$build" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
     "${PIP[@]}" wheel -v --no-deps --no-build-isolation \
     "./mmcv-$MMCV_VERSION" -w "$build/out" 2>&1 \
     | sed -nuE 's#^\s*\[([0-9]+/[0-9]+)\].* -c [^ ]*/([^/ ]+) .*#  [\1] \2#p; /error:/p' || true)
  built=$(ls "$build"/out/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)
  [[ -n $built ]] || die "the mmcv build failed; rerun with the log: cd $build && pip wheel -v --no-deps --no-build-isolation ./mmcv-$MMCV_VERSION"
  mv "$built" "$WHEEL_DIR/"
  wheel=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)
  log "cached $wheel"
fi
if [[ ! -f $MMCV_MARK || $(cat "$MMCV_MARK") != "$TORCH_TAG" ]] \
   || ! "$PY" -c 'import mmcv.ops' >/dev/null 2>&1; then
  log "installing $(basename "$wheel")"
  pipq install -q --no-deps --force-reinstall "$wheel"
  echo "$TORCH_TAG" > "$MMCV_MARK"
fi

log "installing mmhuman_ext in editable mode"
pipq install -q --no-deps --no-build-isolation -e "$ROOT" \
  >"$VENV/.editable_install.log" 2>&1 \
  || die "installing mmhuman_ext failed: see $VENV/.editable_install.log"

log "checking that the stack imports"
PYTHONWARNINGS=ignore "$PY" - <<'PY' || die "the stack does not import (see the traceback above)"
import mmcv, mmcv.ops, mmdet, mmdet.models, mmengine, mmpose, mmpose.models
import torch, torchvision, xtcocotools._mask
import mmhuman_ext
import mmagic, mmagic.models
print(f"  torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"mmengine {mmengine.__version__}, mmcv {mmcv.__version__} (ops), "
      f"mmpose {mmpose.__version__}, mmdet {mmdet.__version__}, "
      f"mmagic {mmagic.__version__}, mmhuman_ext {mmhuman_ext.__version__}")
PY
inputs_hash > "$STAMP"
log "done: activate with 'source $VENV/bin/activate'"
