"""Lambda functions the environments provision; each module here is packaged on its own (stacks/assets.py).

after_allow_test_traffic: the CodeDeploy AfterAllowTestTraffic hook of blue_green environments.
A function's module uses the standard library and boto3 only (what the Lambda runtime provides).
"""
