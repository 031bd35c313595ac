#!/usr/bin/env bash
# Install macroattr (editable) with the given extras into a venv: scripts/install.sh VENV SPEC LOG
# (SPEC: "." or ".[test,bench]"). With uv (from PyPI, into the venv: it resolves and installs
# the same versions as pip, pinned by a comparison of both venvs, in ~10 s instead of ~150 s);
# when uv cannot be had or fails (e.g. an index only pip is configured for), with pip, and
# says so. Output goes to LOG; on failure its tail is printed and the exit code is non-zero.
set -uo pipefail
venv=$1 spec=$2 log=$3
py="$venv/bin/python"
: > "$log"
if "$py" -m pip install --disable-pip-version-check -q uv >> "$log" 2>&1 && \
   "$venv/bin/uv" pip install --python "$py" -e "$spec" >> "$log" 2>&1; then
  exit 0
fi
echo "[setup] uv could not install $spec (see $log); installing with pip instead"
if { "$py" -m pip install --upgrade pip && "$py" -m pip install -e "$spec"; } >> "$log" 2>&1; then
  exit 0
fi
tail -n 40 "$log"
echo "pip install failed: see $log"
exit 1
