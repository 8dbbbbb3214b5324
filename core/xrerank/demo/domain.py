"""The demo domain that ships with xrerank: a small service knowledge base, its search log and
held-out queries.

Aldermoor Fluid Systems is a fictional maker of HX pumps, RS screw compressors and Vela controllers.
Its knowledge base is written for xrerank (see ``xrerank/demo/data/README.md``): about 300 passages
in which many differ only in a model number, a fault code with swapped digits or the condition under
which a fault appears. That is where generic embedding models stumble and where fine-tuning a
reranker on the team's own search log pays off.

Three files, read with :mod:`importlib.resources` so they work from a wheel as well as a checkout:

- passages (:func:`load_demo_passages`): ``id``, ``title``, ``text``, ``topic``;
- a retriever log in the xrerank log schema (:func:`load_demo_log_path`, for
  :func:`xrerank.read_log`): ``query``, ``positive_ids`` (the results technicians opened),
  ``shown`` (what the dense retriever displayed, in order), ``session``, ``timestamp``;
- held-out evaluation queries (:func:`load_demo_eval`): ``query_id``, ``query``,
  ``relevant`` (passage id -> grade, 2 answers it, 1 partly) and ``topic``. Their wording never
  occurs in the log, and three topics never occur in the log at all (:data:`DEMO_UNSEEN_TOPICS`).

Example:
    >>> from xrerank.demo.domain import load_demo_eval, load_demo_passages
    >>> passages = load_demo_passages()
    >>> len(passages) > 250
    True
    >>> query = load_demo_eval()[0]
    >>> sorted(query)
    ['query', 'query_id', 'relevant', 'topic']
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, TypedDict

from xrerank.jsonl import read_jsonl

__all__ = [
    "DEMO_UNSEEN_TOPICS",
    "DemoPassage",
    "DemoQuery",
    "load_demo_eval",
    "load_demo_log_path",
    "load_demo_passages",
]

#: Topics of the demo domain that have held-out queries but no search in the log.
DEMO_UNSEEN_TOPICS: tuple[str, ...] = ("sensor-calibration", "storage-preservation", "warranty-service")

_extracted: dict[str, Path] = {}


@dataclass(frozen=True)
class DemoPassage:
    """One passage of the demo knowledge base.

    Attributes:
        id: Stable document id, e.g. ``"FN-1031"`` (prefix = document type: FN field note,
            SM service manual, PL parts list, TB technical bulletin, RN release notes,
            SP safety procedure, KB general article).
        title: The passage title as the knowledge base shows it.
        text: The passage body, 40 to 120 words.
        topic: One of about twenty topic labels, e.g. ``"pump-fault-codes"``.

    Example:
        >>> p = DemoPassage("SM-1001", "E-112 (low suction pressure)", "E-112 means ...", "pump-fault-codes")
        >>> p.topic
        'pump-fault-codes'
        >>> p.indexed_text.splitlines()[0]
        'E-112 (low suction pressure)'
    """

    id: str
    title: str
    text: str
    topic: str

    @property
    def indexed_text(self) -> str:
        """What the demo embeds and reranks: the title line, then the body."""
        return f"{self.title}\n{self.text}"


class DemoQuery(TypedDict):
    """A held-out evaluation query (a plain dict at run time)."""

    query_id: str
    query: str
    relevant: dict[str, int]
    topic: str


def _resource(name: str) -> Traversable:
    return resources.files("xrerank.demo").joinpath("data").joinpath(name)


def _read_jsonl(name: str) -> list[dict[str, Any]]:
    resource = _resource(name)
    if not resource.is_file():
        raise FileNotFoundError(
            f"xrerank demo data file {name!r} is missing from the installed package (looked in "
            f"{resource}); expected it under xrerank/demo/data/. Reinstall xrerank, or check that "
            "'data/*.jsonl' is listed for xrerank.demo in [tool.setuptools.package-data]."
        )
    return [record for _, record in read_jsonl(resource)]


def load_demo_passages() -> list[DemoPassage]:
    """The demo knowledge base, in file order.

    Returns:
        About 300 :class:`DemoPassage` objects with unique ids.

    Example:
        >>> passages = load_demo_passages()
        >>> {p.id: p for p in passages}[passages[0].id].title == passages[0].title
        True
    """
    return [DemoPassage(r["id"], r["title"], r["text"], r["topic"]) for r in _read_jsonl("passages.jsonl")]


def load_demo_log_path() -> Path:
    """Path of the demo retriever log (JSONL in the xrerank log schema), for :func:`xrerank.read_log`.

    From a normal install this is the packaged file itself; from a zipped install it is copied
    once to a temporary folder.

    Returns:
        A readable path to ``log.jsonl``.

    Example:
        >>> from xrerank import read_log
        >>> records = list(read_log(load_demo_log_path()))
        >>> all(r.positive_ids for r in records)
        True
    """
    resource = _resource("log.jsonl")
    if isinstance(resource, Path):
        if not resource.is_file():
            _read_jsonl("log.jsonl")  # raises the explanatory FileNotFoundError
        return resource
    if "log.jsonl" not in _extracted:
        folder = Path(tempfile.mkdtemp(prefix="xrerank-demo-"))
        target = folder / "log.jsonl"
        with resources.as_file(resource) as source:
            shutil.copyfile(source, target)
        _extracted["log.jsonl"] = target
    return _extracted["log.jsonl"]


def load_demo_eval() -> list[DemoQuery]:
    """The held-out evaluation queries with graded relevance.

    Returns:
        Dicts ``{"query_id", "query", "relevant": {passage_id: grade}, "topic"}``; grade 2 answers the
        query, grade 1 partly answers it. Every query has at least one grade-2 passage.

    Example:
        >>> queries = load_demo_eval()
        >>> all(2 in q["relevant"].values() for q in queries)
        True
    """
    rows = _read_jsonl("eval.jsonl")
    return [
        DemoQuery(
            query_id=str(r["query_id"]),
            query=r["query"],
            relevant={str(doc): int(grade) for doc, grade in r["relevant"].items()},
            topic=r["topic"],
        )
        for r in rows
    ]
