#!/usr/bin/env bash
# Print the path of a working Python >= 3.12, probing candidates by running them
# (pyenv shims exist even when the version behind them is not selected).
set -u
ok() { "$@" -c 'import sys, venv; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null; }
cands=()
[ -n "${PYTHON:-}" ] && cands+=("$PYTHON")
cands+=(python3.12 python3.13 python3)
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for d in "$root"/versions/3.12* "$root"/versions/3.13*; do
  [ -x "$d/bin/python3" ] && cands+=("$d/bin/python3")
done
cands+=(/usr/local/bin/python3.12 /usr/local/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.13)
for c in "${cands[@]}"; do
  if out=$(ok "$c"); then echo "$out"; exit 0; fi
done
for v in 3.12 3.13; do
  for pv in $(ls "$root/versions" 2>/dev/null | grep "^$v"); do
    if out=$(PYENV_VERSION=$pv ok "python$v"); then echo "$out"; exit 0; fi
  done
done
echo "macroattr needs Python >= 3.12 (PyMC 6 requires it) and none was found: install python3.12 or python3.13 (e.g. 'pyenv install 3.12'), or set PYTHON=/path/to/python3.12" >&2
exit 1
