"""Cold start: self-supervised training pairs from the corpus itself, for when logs are few.

A sentence of a passage (by default its last one, which in reports, abstracts
and documentation tends to state the finding, like a user's question or claim)
becomes a pseudo-query; the passage *without that sentence* is its positive, so
the model cannot win by spotting the copied sentence; hard negatives are the
store's nearest other documents to the pseudo-query.

Example:
    >>> sample = sample_documents(documents, 4, seed=0)  # {doc_id: text}; a thousand or so in practice
    >>> examples = pseudo_query_examples(sample, source, num_negatives=2)
    >>> examples[0].query, examples[0].negative_ids
    ('Each list adds one over its rank plus sixty.', ['d4', 'd1'])

    Training then starts with them: ``finetune(log_examples, config, cold_start=examples)``.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from xrerank.examples import TrainingExample
from xrerank.scoring.windows import SENTENCE_BREAK
from xrerank.validation import check_int

logger = logging.getLogger(__name__)


def split_sentences(text: str) -> list[str]:
    """A light sentence splitter (period/question/exclamation mark followed by a capital or digit).

    Example:
        >>> split_sentences("Cells grow. We found X. It works!")
        ['Cells grow.', 'We found X.', 'It works!']
    """
    return [s.strip() for s in SENTENCE_BREAK.split(text.strip()) if s.strip()]


def pseudo_query(
    text: str,
    *,
    strategy: Literal["last_sentence", "random_sentence"] = "last_sentence",
    rng: random.Random | None = None,
    min_words: int = 5,
) -> tuple[str, str] | None:
    """Pick a sentence of ``text`` as a pseudo-query; returns ``(query, rest)`` or None.

    None when the text has fewer than two sentences of at least ``min_words`` words.

    Example:
        >>> pseudo_query("Mice were fed fat for ten weeks. Fat diets raise insulin levels in mice.")
        ('Fat diets raise insulin levels in mice.', 'Mice were fed fat for ten weeks.')
    """
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return None
    usable = [i for i, s in enumerate(sentences) if len(s.split()) >= min_words]
    if not usable:
        return None
    if strategy == "last_sentence":
        pick = usable[-1]
    elif strategy == "random_sentence":
        pick = (rng or random.Random(0)).choice(usable)
    else:
        raise ValueError(
            f"pseudo_query got strategy={strategy!r}; expected 'last_sentence' or 'random_sentence'."
        )
    rest = " ".join(s for i, s in enumerate(sentences) if i != pick)
    return sentences[pick], rest


def sample_documents(documents: Mapping[str, str], count: int, *, seed: int = 0) -> dict[str, str]:
    """``count`` documents of ``documents`` picked at random; all of them when ``count`` is 0.

    The pick depends only on the ids and the seed (not on the input order), and a
    larger ``count`` keeps the smaller pick as its first part, so a cold start
    grown from 200 to 1,500 passages trains on the same 200 first.

    Example:
        >>> sample_documents({"a": "x", "b": "y", "c": "z"}, 2, seed=1)
        {'b': 'y', 'c': 'z'}
    """
    check_int(count, caller="sample_documents", name="count", minimum=0)  # 0 keeps every document
    ids = sorted(documents)
    random.Random(seed).shuffle(ids)
    return {doc_id: documents[doc_id] for doc_id in (ids[:count] if count else ids)}


def pseudo_query_examples(
    documents: Mapping[str, str],
    source: Any,
    *,
    num_negatives: int = 4,
    strategy: Literal["last_sentence", "random_sentence"] = "last_sentence",
    queries: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    candidates: int = 30,
    seed: int = 0,
    show_progress: bool = True,
) -> list[TrainingExample]:
    """Self-supervised :class:`TrainingExample` s from a corpus and the store that holds it.

    Args:
        documents: ``{doc_id: passage text}`` of the documents to turn into examples
            (a sample of the corpus is enough).
        source: A :class:`xrerank.mining.sources.CandidateSource` over the same corpus; its
            nearest documents to each pseudo-query (other than the document itself)
            are the hard negatives.
        num_negatives: Negatives per example.
        strategy: Which sentence becomes the query (see :func:`pseudo_query`).
        queries: Explicit pseudo-queries by doc id (e.g. titles); the positive is then the
            document's whole text (for titles, pass ``texts`` without them).
        texts: The training text of every document by id, used in place of ``documents``
            and of the store's text, so positives and negatives look alike. Pass the
            passages without their titles when the titles are the queries: otherwise the
            positive is the one text without a title, a give-away the model learns instead
            of relevance. Documents and negatives missing from ``texts`` are skipped.
        candidates: How many documents to ask the store for per pseudo-query.
        seed: Seed for ``random_sentence``.
        show_progress: Show a tqdm bar.

    Returns:
        One example per usable document, in input order.

    Example:
        >>> [example] = pseudo_query_examples({"d1": documents["d1"]}, source, num_negatives=2)
        >>> example.query
        'BM25 ranks documents by term frequency and document length.'
        >>> example.positives, example.negative_ids
        (['Classic search engines score documents by the words they share with the query.'], ['d2', 'd3'])
    """
    from tqdm.auto import tqdm

    check_int(num_negatives, caller="pseudo_query_examples", name="num_negatives")
    rng = random.Random(seed)
    pairs: list[tuple[str, str, str]] = []  # (doc id, query, positive)
    for doc_id, text in documents.items():
        if not isinstance(text, str):
            raise TypeError(
                f"pseudo_query_examples got {type(text).__name__} for document {doc_id!r}; expected str."
            )
        if texts is not None:
            text = texts.get(doc_id, "")
        if queries is not None:
            query = queries.get(doc_id)
            if query and query.strip() and text.strip():
                pairs.append((str(doc_id), query.strip(), text))
            continue
        picked = pseudo_query(text, strategy=strategy, rng=rng)
        if picked is not None:
            pairs.append((str(doc_id), picked[0], picked[1]))
    skipped = len(documents) - len(pairs)
    if skipped:
        logger.info(
            "Cold start: %d of %d documents gave no pseudo-query (too short).", skipped, len(documents)
        )
    examples: list[TrainingExample] = []
    batch = 64
    for start in tqdm(
        range(0, len(pairs), batch), desc="cold-start negatives", unit="batch", disable=not show_progress
    ):
        chunk = pairs[start : start + batch]
        hits = source.search_batch([query for _, query, _ in chunk], candidates)
        for (doc_id, query, positive), row in zip(chunk, hits, strict=True):
            negatives = [
                (c.id, c.text if texts is None else texts[c.id])
                for c in row
                if c.id != doc_id and (texts is None or c.id in texts)
            ]
            negatives = [(i, t) for i, t in negatives if t.strip() and t.strip() != positive.strip()]
            negatives = negatives[:num_negatives]
            if len(negatives) < num_negatives:
                continue
            examples.append(
                TrainingExample(
                    query=query,
                    positives=[positive],
                    negatives=[t for _, t in negatives],
                    positive_ids=[doc_id],
                    negative_ids=[str(i) for i, _ in negatives],
                    query_id=f"cold:{doc_id}",
                )
            )
    return examples


def lexical_agreement(examples: Sequence[TrainingExample], corpus: Iterable[str]) -> float:
    """Share of ``examples`` whose positive shares more of the query's words than each of its negatives.

    Words are weighted by their rarity in ``corpus`` (inverse document frequency), so a shared model
    number counts for more than a shared "the". A kind of pseudo-query whose share falls below
    chance (one in ``1 + negatives``) has labels that the words themselves argue against: in a
    knowledge base whose passages repeat each other's sentences, a passage without its last
    sentence is no longer the best answer to it, and training on such examples teaches the
    reverse of relevance.

    Example:
        >>> corpus = ["HX-40 seal leaks at start.", "HX-60 seal leaks after a trim.", "Oil every 500 h."]
        >>> good = TrainingExample("HX-40 seal leak", positives=[corpus[0]], negatives=[corpus[1]])
        >>> bad = TrainingExample("HX-40 seal leak", positives=[corpus[2]], negatives=[corpus[0]])
        >>> lexical_agreement([good, bad], corpus)
        0.5
    """
    counts: Counter[str] = Counter()
    size = 0
    for text in corpus:
        counts.update(set(_words(text)))
        size += 1
    rarity = {word: math.log((size + 1) / (count + 0.5)) for word, count in counts.items()}
    unseen = math.log(2 * (size + 1))  # a word no document has is the rarest of all

    def shared(query_words: set[str], text: str) -> float:
        return sum(rarity.get(word, unseen) for word in query_words & set(_words(text)))

    agreeing = 0
    for example in examples:
        query_words = set(_words(example.query))
        positive = max(shared(query_words, text) for text in example.positives)
        agreeing += all(positive > shared(query_words, text) for text in example.negatives)
    return agreeing / len(examples) if examples else 0.0


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())
