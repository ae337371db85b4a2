"""Running Terraform: the process (signals, process groups), the per-stack runner
(init/plan/apply/destroy), its environment, and what its output means."""
