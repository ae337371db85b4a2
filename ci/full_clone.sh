# Make sure the clone holds a base commit, for `plan --changed-since BASE` (sourced or run: bash ci/full_clone.sh BASE).
#
# GIT_DEPTH: "0" does not deepen a checkout that an earlier job left shallow on a persistent
# runner (GIT_STRATEGY fetch reuses it), so --changed-since could miss its base. Unshallow when
# shallow, then fetch the base itself if it is still missing; fail with its name otherwise.
set -eo pipefail
base="${1:?usage: bash ci/full_clone.sh BASE_SHA}"
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  echo "full-clone: shallow checkout: fetching the whole history"
  git fetch --quiet --unshallow origin
fi
if ! git cat-file -e "${base}^{commit}" 2>/dev/null; then
  echo "full-clone: ${base} not in the clone: fetching it"
  git fetch --quiet origin "$base" || true
fi
if ! git cat-file -e "${base}^{commit}" 2>/dev/null; then
  echo "full-clone: error: the base commit ${base} is not in the clone and could not be fetched" >&2
  exit 1
fi
echo "full-clone: base ${base} present"
