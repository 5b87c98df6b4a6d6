"""Chinese text helpers: jieba segmentation with the knowledge-base vocabulary."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

import jieba

_lock = threading.Lock()
_user_words: set[str] = set()


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def add_words(words: list[str] | set[str]) -> None:
    """Teach the segmenter domain words (district names, 三零, 高可靠性供电费 …)."""
    with _lock:
        tokenizer = _tokenizer()
        for word in words:
            if word and word not in _user_words:
                tokenizer.add_word(word, freq=200000)
                _user_words.add(word)


def tokenize(text: str) -> list[str]:
    return [t for t in _tokenizer().lcut(text) if t.strip()]
