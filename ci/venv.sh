# Source me (`source ci/venv.sh`): activate the project's virtualenv at $VENV_DIR, first
# installing Pipfile.lock into it with pipenv unless it already has every locked version
# (ci/venv_matches_lock.py).
#
# On GitLab the venv comes from the cache (key: Pipfile.lock), so this only activates it;
# a cache miss installs it (`pipenv sync --dev`). A local gitlab-ci-local run passes
# --variable VENV_DIR=/abs/path/.venv, and the developer's venv is reused as it is.
# Sourced into the job's shell: no `set -u` or `exit` here.

VENV_DIR="${VENV_DIR:-$PWD/.venv}"
if [ -x "$VENV_DIR/bin/python" ] && "$VENV_DIR/bin/python" "$(dirname "${BASH_SOURCE[0]}")/venv_matches_lock.py" Pipfile.lock; then
  echo "venv: reusing $VENV_DIR (matches Pipfile.lock)"
else
  echo "venv: installing Pipfile.lock into $VENV_DIR"
  python3 -m pip install --quiet --disable-pip-version-check "pipenv==${PIPENV_PIN:-2026.10.3}"
  python3 -m venv "$VENV_DIR"
  # pipenv installs into the active virtualenv ($VIRTUAL_ENV) when there is one.
  VIRTUAL_ENV="$VENV_DIR" PIPENV_VERBOSITY=-1 pipenv sync --dev
fi
export VIRTUAL_ENV="$VENV_DIR"
export PATH="$VENV_DIR/bin:$PATH"
