"""Helpers shared by the test suites (imported as `tests.support.<module>`; pytest's fixtures stay in
the conftest.py files, which import from here):

- helpers: sample events, account/region/group names, a fake Lambda context, EMF metrics, SNS messages
  and the topic they reach
- caches: forgetting the shared layer's cached settings and boto3 clients
- dataquality_docs: small statistics.json / constraints.json documents for the analyzer's tests
- fakes: in-memory stand-ins for the ports (mlops_loop.ports)
- registry_seed: seeding a moto Model Registry
- retraining: the retraining tests' state table, state machine, pipeline and batch-run histories
- template: template.yaml as SAM source and as translated CloudFormation
- local_cloud: the local-cloud engine tests' fixture app and waits
- sagemaker_jobs: data, requests and event-shape checks of the local SageMaker job runner tests
- state_machines: a deployed stack of the real template on the local cloud and readers of executions
"""
