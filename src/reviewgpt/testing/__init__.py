"""Test doubles of remote services and tiny models, used by the tests, the benchmarks and the demo.

These stand in for what cannot be reached here (OpenReview, an OpenAI-compatible server, model
weights on a hub); everything of reviewgpt's own runs for real against them.
"""
