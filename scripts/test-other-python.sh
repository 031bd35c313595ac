#!/usr/bin/env bash
# Run the FRED and faults suites on the other Python the package declares (3.12 and 3.13),
# in a second venv (.venv3XX), so a fault of one interpreter cannot hide behind the other.
# Cheap on reruns: the venv is kept and reinstalled only when pyproject.toml changes (pip's
# cache serves the wheels). Without such an interpreter it says so in one line and skips.
set -euo pipefail
main=$(.venv/bin/python -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
case "$main" in 3.12) want=3.13 ;; 3.13) want=3.12 ;; *) want=3.12 ;; esac
ok() { "$@" -c "import sys, venv; assert f'{sys.version_info[0]}.{sys.version_info[1]}' == '$want'; print(sys.executable)" 2>/dev/null; }
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
py=""
for c in "python$want" "$root"/versions/"$want"*/bin/python3 "/usr/local/bin/python$want" "/usr/bin/python$want"; do
  if out=$(ok "$c"); then py=$out; break; fi
done
if [ -z "$py" ]; then
  echo "no Python $want found beside $main: skipping the FRED and faults suites on $want (install python$want to run them)"
  exit 0
fi
venv=".venv${want/./}"
if [ ! -f "$venv/.installed" ] || [ pyproject.toml -nt "$venv/.installed" ]; then
  echo "creating $venv with $py (log: $venv/install.log)"
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  scripts/install.sh "$venv" '.[test]' "$venv/install.log" || exit 1
  "$venv/bin/python" -m macroattr.models.estimation.warmup  # this Python's Numba cache, once
  touch "$venv/.installed"
fi
echo "FRED and faults suites on Python $want ($venv)"
PYTENSOR_FLAGS="base_compiledir=$PWD/.cache/pytensor${want/./}" "$venv/bin/python" -m pytest -q -p no:cacheprovider -n auto --dist loadfile tests/fred tests/faults
