"""`python main.py release ...`: see, start, approve, roll back, wait for and verify a release.

The commands read and change the release through the AWS APIs only (CodePipeline, CodeDeploy, ECS,
ELBv2, ECR, IAM, CloudWatch Logs, SSM, Lambda), with clients from `Target.client(service, region)`
and names from config.names: they work the same on the local emulator and on AWS, and never ask
which one they run on. They synthesize nothing and run no Terraform.

    status.py    where the latest pipeline execution is, and what each environment runs now
    actions.py   start, approve, reject, rollback
    wait.py      block until an environment's release finishes (exit 0 succeeded, 1 failed or rolled back)
    verify.py    what would make a release fail on AWS
    common.py    the command's context (project, target, clients), errors, output
    cli.py       the `release` parser and its subcommands
"""
