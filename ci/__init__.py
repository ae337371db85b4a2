"""GitLab CI helper scripts, run by the jobs of .gitlab-ci.yml (the GitLab API ones as `python3 -m ci.<name>`, standard library only)."""
