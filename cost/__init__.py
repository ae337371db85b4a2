"""`python main.py cost`: a monthly AWS estimate per stack and per resource, offline.

Resources are counted in the synthesized stacks, sizes and counts come from the YAML,
prices from `cost/prices/<region>.yaml` (data, with the page and date of each figure),
and every guess (traffic, releases, log volume) from `project.yaml`'s `cost:` section.
"""
