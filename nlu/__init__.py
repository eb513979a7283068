"""ketnoi NLU: Vietnamese normalisation, intent classification and entity extraction (Rasa-compatible).

Public API: ``nlu.api.load_engine`` / ``Engine.parse`` / ``nlu.api.make_backend``; CLI ``python -m nlu``.
Modules: ``loader`` (Rasa YAML), ``features`` + ``classifier`` (intents), ``lexicon`` + ``gazetteer``
+ ``patterns`` + ``money`` + ``crf`` + ``extractors`` (entities), ``fragments`` (bare answers),
``engine`` (parse), ``training`` (train, thresholds), ``evaluate`` (metrics, cross-validation).
"""
