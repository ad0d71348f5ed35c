"""The project's stories, played on the local cloud (`localcloud`), outside its engine.

`story.multi_account`: the seed's layout, a registry account and a prod account
(`make demo-multi-account`, `python -m story.multi_account`).
"""
