#!/usr/bin/env bash
# Install macroattr (editable) with the given extras into a venv: scripts/install.sh VENV SPEC LOG
# (SPEC: "." or ".[test,bench]"). With uv (from PyPI, into the venv: it resolves and installs
# the same versions as pip, pinned by a comparison of both venvs, in ~10 s instead of ~150 s);
# when uv cannot be had or fails (e.g. an index only pip is configured for), with pip, and
# says so. Output goes to LOG; on failure its tail is printed and the exit code is non-zero.
# Both write every module's bytecode at install (uv: --compile-bytecode; pip does by default),
# and the project's own modules are compiled too: where Python writes no bytecode itself
# (PYTHONDONTWRITEBYTECODE=1, as many containers and CI images set, or a read-only install)
# every command would otherwise compile pandas & co. from source, ~2.5 s per command here.
set -uo pipefail
venv=$1 spec=$2 log=$3
py="$venv/bin/python"
: > "$log"
own() {  # the project's modules (an editable install: site-packages holds none of them), and
  # once, a venv made before installs wrote bytecode (pandas' modules have none)
  "$py" -m compileall -q -j 0 macroattr models data_pipelines reports >> "$log" 2>&1
  local site tag
  site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  tag=$("$py" -c 'import sys; print(sys.implementation.cache_tag)')
  if [ -f "$site/pandas/__init__.py" ] && [ ! -f "$site/pandas/__pycache__/__init__.$tag.pyc" ]; then
    echo "[setup] writing the installed modules' bytecode once (a venv made without it)"
    "$py" -m compileall -q -j 0 "$site" >> "$log" 2>&1
  fi
}
if "$py" -m pip install --disable-pip-version-check -q uv >> "$log" 2>&1 && \
   "$venv/bin/uv" pip install --python "$py" --compile-bytecode -e "$spec" >> "$log" 2>&1; then
  own
  exit 0
fi
echo "[setup] uv could not install $spec (see $log); installing with pip instead"
if { "$py" -m pip install --upgrade pip && "$py" -m pip install -e "$spec"; } >> "$log" 2>&1; then
  own
  exit 0
fi
tail -n 40 "$log"
echo "pip install failed: see $log"
exit 1
