"""This app's stories, played on the local cloud (`localcloud`), outside its engine.

`story.demo`: the seed's story, one account (`make demo`, `python -m story.demo`);
`story.multi_account`: the seed's layout, registry, prod and dev accounts
(`make demo-multi-account`, `python -m story.multi_account`);
`story.model_quality`: labels arrive, model quality degrades, a retraining starts
(`python -m story.model_quality`);
`story.local`: the engine's `serve`/`invoke` with this app's set-up (`--seed`, `--upsert-pipeline`).
"""
