#!/usr/bin/env bash
# Create benchmarks/.venv-peers with the peer profilers used by bench_profile.py (ydata-profiling, psutil).
# Kept apart from .venv on purpose: ydata-profiling pins its own numpy/pandas/scipy ranges, which must not
# change the project's pinned versions. Re-running is safe (pip only installs what is missing).
#
#   benchmarks/peers.sh                   # then: .venv/bin/python benchmarks/bench_profile.py
#   PYTHON=python3.12 benchmarks/peers.sh # another interpreter
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-peers"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
# setuptools: ydata-profiling still imports pkg_resources on some versions
"$venv/bin/python" -m pip install --quiet "ydata-profiling>=4.9" "psutil>=5.9" "setuptools<81"
"$venv/bin/python" -c "import ydata_profiling, psutil; print('ydata-profiling', ydata_profiling.__version__, 'in', '$venv')"
