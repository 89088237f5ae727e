"""The demo project: a realistic, fictitious review round built deterministically from
``data/demo`` and the code here, so that every page of the app shows real content."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from review_desk.demo.builder import build_demo

__all__ = ["build_demo"]


def __getattr__(name: str) -> Any:
    # The builder pulls in the PDF writer; import it only when a demo is built.
    if name == "build_demo":
        from review_desk.demo.builder import build_demo

        return build_demo
    raise AttributeError(name)
