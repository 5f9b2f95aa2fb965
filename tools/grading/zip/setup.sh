#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (tools/grading/gradescope.py).
# It installs Python 3.11 and the exact packages of requirements.txt into /opt/optbook-env (readable by
# every user: the students' notebooks run as the unprivileged user `student`, made here), bubblewrap
# (used where the container allows user namespaces) and util-linux (setpriv, prlimit).
set -euo pipefail
SOURCE="${AUTOGRADER_ROOT:-/autograder}/source"
ENV=/opt/optbook-env
MINIFORGE=25.3.1-0
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
apt-get install -y -qq util-linux wget ca-certificates >/dev/null
apt-get install -y -qq bubblewrap >/dev/null || echo "bubblewrap unavailable: the student user alone is the boundary"

# Python where the student's user can run it (Miniforge's default, /root, is readable by root only).
wget -nv "https://github.com/conda-forge/miniforge/releases/download/$MINIFORGE/Miniforge3-Linux-$(uname -m).sh" \
  -O /tmp/miniforge.sh
bash /tmp/miniforge.sh -b -p /opt/miniforge3
/opt/miniforge3/bin/mamba create -y -q -p "$ENV" python=3.11 pip
"$ENV/bin/python" -m pip install --quiet --no-cache-dir -r "$SOURCE/requirements.txt"
chmod -R a+rX "$ENV"

# The user every notebook runs as: no home, no login shell, no groups of anyone else's.
id -u student >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin student

# The hidden tests, the solutions and the scorer: root's alone.
chown -R root:root "$SOURCE"
chmod 700 "$SOURCE"
