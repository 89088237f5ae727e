"""Our widgets keep Qt's own names working: no attribute of ours hides a Qt method (a
``ScoreForm.scroll`` area made ``QWidget.scroll()`` uncallable, a ``MainWindow.actions``
dict did the same to ``QWidget.actions()``), and a page's ``title`` stays its title."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from ui.pages.base import Page
from ui.pages.registry import page_specs, spec_for
from ui.widgets.score_form import ScoreForm


def _qt_base(cls: type) -> type:
    """The first PySide6 class that ``cls`` derives from."""
    return next(c for c in cls.__mro__ if c.__module__.startswith("PySide6."))


def _shadowed(widget: QWidget) -> list[str]:
    """The attributes set on ``widget`` that hide a name of its Qt base class (PySide
    keeps a bound signal in the instance's ``__dict__``: that is not ours)."""
    base = _qt_base(type(widget))
    return sorted(
        name
        for name in vars(widget)
        if hasattr(base, name) and not isinstance(getattr(base, name), Signal)
    )


def test_no_widget_of_ours_hides_a_qt_name(window) -> None:  # type: ignore[no-untyped-def]
    for spec in page_specs():
        window.page(spec.key)
    ours = [
        w for w in [window, *window.findChildren(QWidget)] if type(w).__module__.startswith("ui.")
    ]
    assert any(isinstance(w, ScoreForm) for w in ours)
    hidden = {type(w).__name__: _shadowed(w) for w in ours if _shadowed(w)}
    assert hidden == {}


def test_qt_methods_still_work(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert all(action.parent() is window for action in window.actions())
    form = ScoreForm()
    qtbot.addWidget(form)
    form.scroll(0, 0)  # QWidget.scroll, not an attribute of the same name


def test_every_page_keeps_its_title(window) -> None:  # type: ignore[no-untyped-def]
    for spec in page_specs():
        page = window.page(spec.key)
        assert isinstance(page, Page)
        assert page.title == spec_for(spec.key).title
