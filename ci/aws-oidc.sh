# Source me with a role ARN: `source ci/aws-oidc.sh "$AWS_PLAN_ROLE_ARN"`.
#
# Exchanges the job's GitLab OIDC token ($AWS_ID_TOKEN, from the job's `id_tokens:`) for
# temporary credentials of the role (sts:AssumeRoleWithWebIdentity, ci/aws_oidc.py) and
# exports AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. No AWS key is
# ever stored in GitLab. The roles trust only this project's tokens (modules/ci_access.py).
#
# With DEPLOY_TARGET=local (a local gitlab-ci-local run) it does nothing: the local
# emulator needs no AWS credentials. Sourced into the job's shell: no `set -u` here.

if [ "${DEPLOY_TARGET:-aws}" = "local" ]; then
  echo "aws-oidc: DEPLOY_TARGET=local, no AWS credentials needed"
else
  if [ -z "${1:-}" ]; then
    echo "aws-oidc: no role ARN given. AWS_PLAN_ROLE_ARN / AWS_DEPLOY_ROLE_ARN come from the gitlab stack;" \
         "AWS_DEPLOY_ROLE_ARN is protected, so only pipelines of protected branches get it" >&2
    false
  else
    _aws_oidc_exports="$(python "$(dirname "${BASH_SOURCE[0]}")/aws_oidc.py" "$1")" || false
    eval "$_aws_oidc_exports"
    unset _aws_oidc_exports
  fi
fi
