#!/usr/bin/env bash
# Pin Binder's environment: install binder/requirements.in into a fresh Python 3.11 venv
# with the versions of constraints.txt, then write every installed package to
# binder/requirements.txt. Run it after changing requirements.in or constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-$(command -v python3.11)}"
venv="$(mktemp -d)/venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet -c constraints.txt -r binder/requirements.in
{
  awk '/^#/ { print; next } { exit }' binder/requirements.txt  # the file's header comment
  "$venv/bin/pip" freeze --exclude-editable
} > binder/requirements.txt.new
mv binder/requirements.txt.new binder/requirements.txt
rm -rf "$(dirname "$venv")"
echo "binder/requirements.txt: $(grep -vc '^#' binder/requirements.txt) pinned packages"
