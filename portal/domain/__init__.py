"""Plain business rules shared by views, jobs and tests.

Nothing in this package imports Flask or knows about HTML: it works on any object
with the right attributes (ORM rows in the app, simple objects in tests).
"""
