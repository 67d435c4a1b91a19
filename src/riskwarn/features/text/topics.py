"""Risk topics per industry, from a keyword lexicon declared as data (features/text/risk_topics.yaml).

Every topic a text mentions is stored (text_scores.risk_topics), whatever the subject's
industry, so a stored score never depends on registry data that may change later; which
topics count for a subject is decided by `topics_for_industry` from the topic's industries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from riskwarn.errors import ConfigError

__all__ = [
    "DEFAULT_TOPICS_PATH",
    "Topic",
    "TopicLexicon",
    "find_topics",
    "load_topics",
    "topics_for_industry",
]

# repo root / features / text / risk_topics.yaml (src/riskwarn/features/text/topics.py → parents[4])
DEFAULT_TOPICS_PATH = Path(__file__).resolve().parents[4] / "features" / "text" / "risk_topics.yaml"
_INDUSTRY = re.compile(r"^(\*|[A-T]\d{0,4})$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Topic:
    """One risk topic: its id, labels, keywords and the industries (code prefixes) it applies to."""

    id: str
    label_zh: str
    label_en: str
    description: str
    keywords: tuple[str, ...]
    industries: tuple[str, ...]  # GB/T 4754 codes or prefixes; ("*",) = every industry

    def applies_to(self, industry_code: str | None) -> bool:
        """Whether the topic counts for a subject of this industry (unknown industry: only '*')."""
        if "*" in self.industries:
            return True
        if not industry_code:
            return False
        code = industry_code.strip().upper()
        return any(code.startswith(prefix) for prefix in self.industries)


@dataclass(frozen=True)
class TopicLexicon:
    """All topics, in file order, and the content hash of the file they came from."""

    topics: tuple[Topic, ...]
    version: str

    def topic(self, topic_id: str) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(f"no risk topic {topic_id!r}; known: {', '.join(self.ids)}")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)


def _text_field(entry: dict, field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: field {field!r} must be a non-empty string, got {value!r}")
    return value.strip()


def _list_field(entry: dict, field: str, where: str) -> tuple[str, ...]:
    value = entry.get(field)
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: field {field!r} must be a non-empty list, got {value!r}")
    items = tuple(str(v).strip() for v in value)
    if any(not v for v in items):
        raise ConfigError(f"{where}: field {field!r} contains an empty item")
    return items


def _parse_topic(entry: object, n: int, source: str) -> Topic:
    where = f"{source}: topic #{n}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(entry).__name__}")
    topic_id = _text_field(entry, "id", where)
    where = f"{source}: topic {topic_id!r}"
    if not _ID.match(topic_id):
        raise ConfigError(f"{where}: field 'id' must be lower_snake_case")
    industries = _list_field(entry, "industries", where)
    for code in industries:
        if not _INDUSTRY.match(code):
            raise ConfigError(
                f"{where}: field 'industries' has {code!r}; use '*' or a GB/T 4754 code prefix "
                "such as 'H', 'H62' or 'F5265'"
            )
    return Topic(
        id=topic_id,
        label_zh=_text_field(entry, "label_zh", where),
        label_en=_text_field(entry, "label_en", where),
        description=str(entry.get("description", "")).strip(),
        keywords=_list_field(entry, "keywords", where),
        industries=industries,
    )


def load_topics(path: Path | None = None) -> TopicLexicon:
    """Read and validate the topic lexicon; errors name the topic and the field."""
    return _load_topics((path or DEFAULT_TOPICS_PATH).resolve())


@lru_cache(maxsize=8)
def _load_topics(path: Path) -> TopicLexicon:
    if not path.exists():
        raise ConfigError(f"risk topic lexicon not found at {path}")
    raw = path.read_bytes()
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("topics"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'topics' list")
    topics = tuple(_parse_topic(e, n, path.name) for n, e in enumerate(doc["topics"], start=1))
    seen: set[str] = set()
    for t in topics:
        if t.id in seen:
            raise ConfigError(f"{path.name}: topic {t.id!r} is declared twice")
        seen.add(t.id)
    return TopicLexicon(topics, "topics-" + hashlib.sha256(raw).hexdigest()[:12])


@lru_cache(maxsize=8)
def _topic_patterns(lexicon: TopicLexicon) -> tuple[str, ...]:
    return tuple("|".join(re.escape(k) for k in t.keywords) for t in lexicon.topics)


def find_topics(clean_texts: pa.Array, lexicon: TopicLexicon | None = None) -> list[list[str]]:
    """The ids of the topics whose keywords occur in each cleaned text, in lexicon order."""
    lexicon = lexicon or load_topics()
    found: list[list[str]] = [[] for _ in range(len(clean_texts))]
    patterns = _topic_patterns(lexicon)
    if not found or not patterns:
        return found
    # one pass finds the texts with any keyword; only those are matched topic by topic
    any_hit = pc.match_substring_regex(clean_texts, "|".join(patterns))
    rows = np.flatnonzero(any_hit.to_numpy(zero_copy_only=False))
    if not len(rows):
        return found
    subset = clean_texts.take(pa.array(rows))
    hits = np.column_stack(
        [pc.match_substring_regex(subset, p).to_numpy(zero_copy_only=False) for p in patterns]
    )
    ids = lexicon.ids
    for r, c in zip(*np.nonzero(hits), strict=True):
        found[rows[r]].append(ids[c])
    return found


def topics_for_industry(
    topic_ids: Sequence[str], industry_code: str | None, lexicon: TopicLexicon | None = None
) -> list[str]:
    """The topics of a text that count for a subject of `industry_code`."""
    lexicon = lexicon or load_topics()
    return [t for t in topic_ids if lexicon.topic(t).applies_to(industry_code)]
