from django.contrib.auth.backends import ModelBackend


class ActiveUserBackend(ModelBackend):
    """Django's model backend: refuses inactive users at sign-in and on every later request."""
