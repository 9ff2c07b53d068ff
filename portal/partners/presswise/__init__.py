"""PressWise, the first MIS partner: the SOAP client and its mapping of our orders.

``ours.py`` holds every part of the contract this project defined itself.
"""

from portal.partners.presswise.client import PressWiseClient

__all__ = ["PressWiseClient"]
