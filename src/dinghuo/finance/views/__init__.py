"""Finance pages: the back-office workbench (backoffice.py) and the dealer's side (portal.py)."""
