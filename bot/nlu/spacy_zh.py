"""A blank Chinese spaCy pipeline (jieba segmentation) with an EntityRuler over the KB vocabulary.

No pretrained Chinese model can be installed here; `spacy.blank("zh")` with the jieba segmenter
works offline. spaCy's jieba segmenter uses the global `jieba` module, as Rasa's JiebaTokenizer
does, so the knowledge-base user dictionary is loaded into that module (`add_jieba_words`) and
both tokenizers keep names such as 滕州市 or 黔东南州 whole.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import jieba
import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler
from spacy.tokens import Doc

logger = logging.getLogger(__name__)

RULER_NAME = "entity_ruler"
ENT_ID_SEP = "||"
JIEBA_FREQUENCY = 200000  # the frequency bot.nlu.dictionary writes into build/jieba/userdict.txt

_added_words: set[str] = set()


def add_jieba_words(words: Iterable[str], frequency: int = JIEBA_FREQUENCY) -> int:
    """Add words to the global jieba dictionary (idempotent); returns how many were new."""
    new = [w for w in words if w and w not in _added_words]
    for word in new:
        jieba.add_word(word, freq=frequency)
        _added_words.add(word)
    return len(new)


def blank_chinese() -> Language:
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})


def build_pipeline(patterns: list[dict[str, Any]], words: Iterable[str] = ()) -> Language:
    """Blank zh pipeline + entity_ruler with the given patterns (phrase or token patterns).

    `words` go into jieba first, so phrase patterns are segmented the way texts will be.
    Patterns may carry an `id`; `ruler_matches` returns it with each match.
    """
    add_jieba_words(words)
    nlp = blank_chinese()
    ruler = nlp.add_pipe(RULER_NAME, config={"phrase_matcher_attr": "ORTH", "ent_id_sep": ENT_ID_SEP})
    assert isinstance(ruler, EntityRuler)
    ruler.add_patterns(patterns)
    return nlp


def ruler_matches(nlp: Language, text: str) -> list[tuple[int, int, str, str]]:
    """All EntityRuler matches in `text` (overlaps kept) as (start_char, end_char, label, id).

    Returns an empty list if segmentation does not reproduce the text exactly (then the
    offsets could not be trusted) or if spaCy fails on odd input.
    """
    if not text:
        return []
    try:
        doc: Doc = nlp.make_doc(text)
        if doc.text != text:
            return []
        ruler = nlp.get_pipe(RULER_NAME)
        assert isinstance(ruler, EntityRuler)
        found = []
        for match_id, start, end in ruler.match(doc):
            key = nlp.vocab.strings[match_id]
            label, _, ent_id = key.partition(ENT_ID_SEP)
            span = doc[start:end]
            found.append((span.start_char, span.end_char, label, ent_id))
        return found
    except Exception:  # noqa: BLE001 - a tokenizer hiccup must never break a conversation
        logger.exception("spaCy matching failed; continuing with the character scan only")
        return []
