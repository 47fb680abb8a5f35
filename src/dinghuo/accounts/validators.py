"""Password validators whose messages our catalog translates.

Django 5.2 reworded the minimum-length message and its zh-Hans catalog has not caught up, so the
one message a user meets most often came out in English on Chinese pages.
"""

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return _("This password is too short: use at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }
