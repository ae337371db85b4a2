"""Benchmark: synth, plan, deploy and drift, with memory, and how they grow with the number of environments.

    python -m bench [--quick] [--runs N] [--out bench/results/latest.json]
                    [--scales 1,4,16] [--deploy-scales 1,4] [--only synth,plan,deploy,scale] [--keep]

What is measured (every figure is a separate process, timed from start to exit):

- synth of all stacks: cold (empty cdktf.out and an empty jsii cache dir), warm (jsii cache
  primed, cdktf.out removed), cached (inputs unchanged), and the naive baseline of one
  `python main.py` process per stack, one after another, each into its own outdir.
- plan of all stacks the local target runs (gitlab is skipped there), against an emulator
  holding nothing but the state bucket: `main.py plan` (parallel) versus plain `terraform
  plan` one stack after another in the work dirs the CLI initialised; plus, outside --quick,
  what the CLI adds per stack on fresh work dirs (init), `--parallelism 1`, and a plan that must
  synthesize first (a fresh CI job).
- deploy of all stacks from nothing into a fresh emulator, drift afterwards, and (outside
  --quick) each stack deployed alone into its own fresh emulator: the slowest of those
  applies (its `apply` step in the CLI's JSON) is the "slowest single stack's apply" (an
  apply measured inside the all-stacks deploy shares the CPUs with the others, which would
  flatter the ratio).
- scaling: generated copies of environments/staging.yaml (bench.envgen) in a temporary
  directory, 1, 4 and 16 of them: warm synth and plan from an empty state, and deploy
  for 1 and 4 (not 16: 17 stacks applying to moto on two CPUs take too long).

Memory: the peak of the sum of VmRSS over the process tree (python, node for jsii,
terraform, providers), sampled every 50 ms (bench.memory). CPU: CPU-seconds of the tree.
Short steps are repeated (--runs, default 3) and their median reported.

Isolation: the CLI runs from a snapshot of the working tree copied into a private temporary
directory at the start, with private CDKTF_OUTDIR, JSII_RUNTIME_PACKAGE_CACHE_ROOT,
DEPLOY_CACHE_DIR and LOCAL_EMULATOR_DIR; every emulator is started and stopped by
emulator.control and runs the snapshot's server, and the directory is removed at
the end (--keep keeps it). Edits others make meanwhile do not affect a run. What each command
did (synth reused or not, per-stack step times) comes from its `--json` output.

The issue's targets are printed as ratios of figures from the same run, with PASS/FAIL; they
are never asserted (tests/unit/test_bench.py tests the pieces, untimed).
"""
