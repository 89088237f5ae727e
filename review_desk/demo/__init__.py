"""The demo project: a realistic, fictitious review round built deterministically from
``data/demo`` and the code here, so that every page of the app shows real content."""

from review_desk.demo.builder import build_demo

__all__ = ["build_demo"]
