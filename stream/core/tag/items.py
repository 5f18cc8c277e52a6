"""TagItem and Evidence models built from values the tag stage has already checked.

Validating a TagItem with its evidence costs several µs in pydantic, and an article yields twenty
or more of them. Every value here comes from the stage's own code (scores in [0, 1], offsets >= 0,
a known evidence field), so the models are assembled the way ``BaseModel.model_construct`` does it
(same ``__dict__``, fields-set, extra and private slots) without its per-field Python loop.
``tests/core/tag/test_items.py`` checks the result equals the validated model.
"""

from __future__ import annotations

from stream.contracts import Evidence, TagItem

_set = object.__setattr__
_new_evidence = Evidence.__new__
_new_item = TagItem.__new__
_EVIDENCE_FIELDS = frozenset(("text", "field", "start", "end"))
_ITEM_FIELDS = frozenset(("id", "tag", "label", "score", "kind", "primary", "evidence"))
_ITEM_FIELDS_NO_PRIMARY = _ITEM_FIELDS - {"primary"}
_ITEM_FIELDS_NO_EVIDENCE = _ITEM_FIELDS - {"evidence"}

if Evidence.__pydantic_post_init__ or TagItem.__pydantic_post_init__ or TagItem.__private_attributes__:
    raise ImportError("stream.core.tag.items assumes plain models; use TagItem(...) instead")  # pragma: no cover


def evidence_models(evidence) -> list[Evidence]:
    """``(text, field, start, end)`` tuples as Evidence models."""
    out = []
    for text, field, start, end in evidence:
        m = _new_evidence(Evidence)
        _set(m, "__dict__", {"text": text, "field": field, "start": start, "end": end})
        _set(m, "__pydantic_fields_set__", set(_EVIDENCE_FIELDS))
        _set(m, "__pydantic_extra__", None)
        _set(m, "__pydantic_private__", None)
        out.append(m)
    return out


def tag_item(id: str, tag: str, label: str, score: float, kind: str | None, primary: bool | None = None,
             evidence=None) -> TagItem:
    """``TagItem(id=..., ..., evidence=[...])`` for checked values; ``primary``/``evidence`` left
    out (None) are unset, as when not passed to the constructor. ``evidence``: (text, field, start, end)."""
    if primary is None:
        fields_set = set(_ITEM_FIELDS_NO_PRIMARY)
        primary = False
    elif evidence is None:
        fields_set = set(_ITEM_FIELDS_NO_EVIDENCE)
    else:
        fields_set = set(_ITEM_FIELDS)
    m = _new_item(TagItem)
    _set(m, "__dict__", {"id": id, "tag": tag, "label": label, "score": score, "kind": kind, "primary": primary,
                         "evidence": evidence_models(evidence) if evidence else []})
    _set(m, "__pydantic_fields_set__", fields_set)
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m
