"""Answering a question frame: figures, comparisons and arithmetic over cited facts."""
