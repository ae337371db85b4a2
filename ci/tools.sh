#!/usr/bin/env bash
# Install the command-line tools a CI job needs, each only if it is missing.
#
#   bash ci/tools.sh [terraform] [node] [checkov] [gitlab-ci-local]
#
# GitLab's python:3.11 image has none of them, so on GitLab this installs (from GitLab's
# cache when it has them: .cache/bin, .tools). A local gitlab-ci-local run
# (--force-shell-executor) finds them on the machine and installs nothing, which matters
# here: Terraform's release server is not reachable from every machine.
# Versions: TERRAFORM_VERSION, NODE_VERSION, CHECKOV_VERSION, GITLAB_CI_LOCAL_VERSION (.gitlab-ci.yml).
set -euo pipefail

# fetch URL SUMS_URL FILE: download URL into .cache/bin/FILE (kept by GitLab's cache), checked against SUMS_URL.
fetch() {
  [ -f ".cache/bin/$3" ] && return 0
  echo "tools: downloading $1"
  mkdir -p .cache/bin
  curl -fsSL -o ".cache/bin/$3.part" "$1"
  sum="$(curl -fsSL "$2" | awk -v f="$3" '$2 == f || $2 == "*" f {print $1}')"
  echo "${sum:?no checksum for $3 in $2}  .cache/bin/$3.part" | sha256sum -c --quiet -
  mv ".cache/bin/$3.part" ".cache/bin/$3"
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

for tool in "$@"; do
  case "$tool" in
    terraform)
      command -v terraform >/dev/null && continue
      v="${TERRAFORM_VERSION:?}"
      fetch "https://releases.hashicorp.com/terraform/$v/terraform_${v}_linux_amd64.zip" \
            "https://releases.hashicorp.com/terraform/$v/terraform_${v}_SHA256SUMS" "terraform_${v}_linux_amd64.zip"
      python3 -m zipfile -e ".cache/bin/terraform_${v}_linux_amd64.zip" /usr/local/bin/
      chmod 0755 /usr/local/bin/terraform
      ;;
    node|gitlab-ci-local)  # jsii (cdktf's Python bindings) runs Node.js; gitlab-ci-local 4.73 needs Node >= 20
      if [ "$(node_major)" -lt 20 ]; then
        v="${NODE_VERSION:?}"
        fetch "https://nodejs.org/dist/v$v/node-v$v-linux-x64.tar.xz" "https://nodejs.org/dist/v$v/SHASUMS256.txt" \
              "node-v$v-linux-x64.tar.xz"
        tar -xJf ".cache/bin/node-v$v-linux-x64.tar.xz" -C /usr/local --strip-components=1 \
            "node-v$v-linux-x64/bin" "node-v$v-linux-x64/lib"
      fi
      if [ "$tool" = gitlab-ci-local ] && ! command -v gitlab-ci-local >/dev/null \
          && [ ! -x .tools/node/node_modules/.bin/gitlab-ci-local ]; then
        npm install --silent --no-fund --no-audit --prefix .tools/node "gitlab-ci-local@${GITLAB_CI_LOCAL_VERSION:?}"
      fi
      ;;
    checkov)  # its own venv: checkov's pins conflict with the project's boto3
      checkov="${CHECKOV:-.tools/checkov/bin/checkov}"
      [ -x "$checkov" ] && continue
      venv="$(dirname "$(dirname "$checkov")")"
      echo "tools: installing checkov ${CHECKOV_VERSION:?} into $venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==${CHECKOV_VERSION}"
      ;;
    *) echo "tools: unknown tool '$tool'" >&2; exit 2 ;;
  esac
done
