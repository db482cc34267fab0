"""Every prompt the project sends to a model, one module per task.

- :mod:`.review`: the review instruction (training, build-dataset and infer) and its chat messages.
- :mod:`.json_review`: the schema prompt of a JSON-mode baseline (``infer --prompt-style json``).
- :mod:`.aggregate`: merging a paper's human reviews into one (``aggregate-reviews --aggregator openai``).
- :mod:`.extract`: listing the criticisms of a human review (``evaluate --extractor openai``).
- :mod:`.judge`: matching the points of two reviews (``evaluate --judge openai``).
- :mod:`.repair`: asking again after an invalid JSON answer (the LLM client).
- :mod:`.encoding`: how a review prompt and its target become tokens.

The texts are part of the data: cached LLM answers are keyed by the request, and datasets and
trained models by the instruction, so a changed character here invalidates both. A test pins the
sha256 of each text.
"""
