#!/usr/bin/env bash
# Set up the stack on a GPU machine that reaches no package index.
#
# Here (with network):   bash tools/misc/device_env.sh bundle
#   downloads into .device_bundle/ (git-ignored) the wheels the GPU machine
#   lacks, for its Python (PY_VERSION, default 3.12), plus the mmcv and
#   xtcocotools sdists.
# There (no network):    bash tools/misc/device_env.sh install
#   makes /tmp/mmhuman_venv on top of the machine's own torch
#   (--system-site-packages), installs the bundle, builds mmcv 2.1.0 with
#   CUDA ops against that torch (TORCH_CUDA_ARCH_LIST, default 9.0; MAX_JOBS,
#   default nproc) and installs mmhuman_ext in editable mode.
#   Then: /tmp/mmhuman_venv/bin/python -m pytest tests -m gpu
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUNDLE=$ROOT/.device_bundle
CONSTRAINTS=$ROOT/requirements/constraints.txt
PY_VERSION=${PY_VERSION:-3.12}
pin() { grep -i "^$1==" "$CONSTRAINTS"; }

# pure-Python packages, and compiled ones, the GPU image does not have
PURE=(mmengine mmpose mmdet addict yapf termcolor json-tricks munkres
      terminaltables platformdirs)
BINARY=(pycocotools shapely)

case ${1:-} in
bundle)
  mkdir -p "$BUNDLE"
  for p in "${PURE[@]}"; do
    pip download -q --no-deps -d "$BUNDLE" "$(pin "$p")"
  done
  for p in "${BINARY[@]}"; do
    pip download -q --no-deps --only-binary=:all: -d "$BUNDLE" \
      --python-version "$PY_VERSION" --implementation cp \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      --platform manylinux_2_28_x86_64 "$(pin "$p")"
  done
  pip download -q --no-deps --no-binary :all: --no-build-isolation \
    -d "$BUNDLE" "$(pin mmcv)" "$(pin xtcocotools)"
  du -sh "$BUNDLE"
  echo "carry .device_bundle and run: bash tools/misc/device_env.sh install"
  ;;
install)
  VENV=/tmp/mmhuman_venv
  python3 -m venv --system-site-packages "$VENV"
  PIP=("$VENV/bin/python" -m pip)
  "${PIP[@]}" install -q --no-index --no-deps "$BUNDLE"/*.whl
  "${PIP[@]}" install -q --no-index --no-deps --no-build-isolation \
    "$BUNDLE"/xtcocotools-*.tar.gz
  build=$(mktemp -d)
  tar -xzf "$BUNDLE"/mmcv-*.tar.gz -C "$build"
  sed -i "s/c++17'/c++20'/g" "$build"/mmcv-*/setup.py
  echo "[device_env] building mmcv with CUDA ops (several minutes)"
  (cd "$build"/mmcv-* && FORCE_CUDA=1 MMCV_WITH_OPS=1 \
     TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0} \
     MAX_JOBS=${MAX_JOBS:-$(nproc)} \
     "${PIP[@]}" install -q --no-index --no-deps --no-build-isolation .)
  "${PIP[@]}" install -q --no-index --no-deps --no-build-isolation -e "$ROOT"
  "$VENV/bin/python" -c "import torch, mmcv.ops, mmpose.models, mmhuman_ext; \
print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), \
'mmcv', mmcv.__version__)"
  ;;
*)
  echo "usage: $0 bundle|install" >&2
  exit 2
  ;;
esac
