"""Small input fields the dialogs share: a day picker and the day it holds, a
multi-line text box for written reasons, and a wrapped line of explanation."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QLabel, QPlainTextEdit, QWidget


def day_of(edit: QDateEdit) -> date:
    """The day a date edit holds."""
    value = edit.date()
    return date(value.year(), value.month(), value.day())


def date_edit(parent: QWidget, day: date) -> QDateEdit:
    """A day picker (YYYY-MM-DD, with a calendar) showing ``day``."""
    edit = QDateEdit(QDate(day.year, day.month, day.day), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def text_edit(parent: QWidget, placeholder: str) -> QPlainTextEdit:
    """A few lines of text (Tab moves on rather than typing a tab)."""
    edit = QPlainTextEdit(parent)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(84)
    return edit


def wrapped_label(parent: QWidget, text: str) -> QLabel:
    """A label of ``text`` that wraps to the dialog's width."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label
