"""``${{search_space.NAME}}``: found, substituted one string at a time, never via a shell."""

from __future__ import annotations

import pytest

from kubesweep.domain.templating import find_references, format_value, substitute


def test_finds_references_with_and_without_spaces() -> None:
    refs = find_references("--lr=${{search_space.lr}} --b ${{ search_space.batch }}")
    assert [(r.expression, r.name) for r in refs] == [
        ("search_space.lr", "lr"),
        ("search_space.batch", "batch"),
    ]


def test_other_expressions_are_found_without_a_name() -> None:
    refs = find_references("${{inputs.data}} ${{search_space.a-b}}")
    assert [r.name for r in refs] == [None, None]


def test_substitutes_each_reference() -> None:
    text = (
        "--lr=${{search_space.lr}},${{search_space.opt}},${{search_space.bn}},${{search_space.w}}"
    )
    assert substitute(text, {"lr": 0.001, "opt": "adam", "bn": True, "w": 48}) == (
        "--lr=0.001,adam,true,48"
    )


def test_values_with_shell_syntax_stay_one_literal_string() -> None:
    value = "$(rm -rf /); `id` 'quoted' \"x\""
    assert substitute("${{search_space.s}}", {"s": value}) == value


def test_an_undefined_name_raises() -> None:
    with pytest.raises(KeyError):
        substitute("${{search_space.nope}}", {"lr": 1})


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (3, "3"), (0.1, "0.1"), (1e-05, "1e-05"), ("a b", "a b")],
)
def test_format_value(value: int | float | str | bool, text: str) -> None:
    assert format_value(value) == text
