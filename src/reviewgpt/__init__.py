"""reviewgpt: OpenReview papers and reviews -> a long-context LLM that writes structured reviews."""

__version__ = "0.1.0"
