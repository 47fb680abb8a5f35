"""Dealer portal pages (订货端), one module per area of the portal."""
