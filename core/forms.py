"""The base of every form on the site: built-in messages in Chinese."""

import functools

from flask_wtf import FlaskForm
from wtforms import i18n


class Form(FlaskForm):
    """A form whose built-in messages are WTForms' own Chinese ones.

    Flask-WTF translates only through Flask-Babel, which the site does not
    use, so the messages come from the zh catalogue that ships with WTForms.
    """

    class Meta:
        locales = ("zh",)

        def get_translations(self, form):
            """Use WTForms' own Chinese messages."""
            return _translations(tuple(self.locales))


@functools.cache
def _translations(locales):
    """Return WTForms' translations for locales, read from disk once."""
    return i18n.get_translations(locales)
