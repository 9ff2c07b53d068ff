"""A postal address as a value: two addresses are the same when every field is."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Address:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    line3: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""


    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def normalized(self) -> tuple[str, ...]:
        """Comparison key that ignores case and surrounding spaces."""
        return tuple((getattr(self, f) or "").strip().casefold() for f in ADDRESS_FIELDS)

    def lines(self) -> list[str]:
        """Printable lines, empty parts left out."""
        locality = " ".join(p for p in (self.city + ("," if self.city and self.state else ""), self.state, self.postal_code) if p)
        candidates = [self.full_name, self.company, self.line1, self.line2, self.line3, locality, self.country]
        return [c for c in candidates if c and c.strip()]


ADDRESS_FIELDS = tuple(f.name for f in fields(Address))


def ship_to_one_address(items) -> bool:
    """True when every item ships to the same address (case and surrounding spaces aside)."""
    return len({item.shipping_address.normalized() for item in items}) <= 1

