"""The names ``import forcestat`` offers are a promise: changing them is a decision, not an
accident."""

from __future__ import annotations

import forcestat


def test_all_is_pinned() -> None:
    assert sorted(forcestat.__all__) == sorted(
        [
            "KINDS",
            "ForcestatError",
            "InputError",
            "Period",
            "RecordKind",
            "Store",
            "__version__",
            "get_kind",
            "parse_period",
        ]
    )


def test_every_name_in_all_exists() -> None:
    for name in forcestat.__all__:
        assert hasattr(forcestat, name), name
