"""What the demo print shops sell and who buys it: plain data, no Flask, no database.

Names, companies and notes deliberately include apostrophes, ampersands, angle brackets
and non-ASCII letters (O'Brien & Sons <Intl>, Zoë Müller, São Paulo): the demo data is
also what people click through to check escaping in pages, exports and partner XML.
Amounts are integer cents and rates basis points, so the generator never touches floats.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    label: str
    code: str
    price_factor_pct: int = 100  # relative to the product's base price


@dataclass(frozen=True)
class Product:
    name: str
    part_prefix: str
    options: tuple[tuple[str, tuple[Choice, ...]], ...]
    quantities: tuple[int, ...]
    setup_cents: int
    unit_millicents: int  # per piece, thousandths of a cent, so 50 cards can cost $0.018 each
    edoc_capable: bool = False


STANDARD_QUANTITIES = (50, 100, 250, 500, 1000, 2500, 5000)

PRODUCTS: tuple[Product, ...] = (
    Product(
        "Business Cards", "BC",
        (
            ("Paper", (Choice("16pt Matte", "16M"), Choice("14pt Gloss", "14G"), Choice("32pt Silk", "32S", 160),
                       Choice("100lb Linen", "LIN", 125))),
            ("Sides", (Choice("4/4", "44"), Choice("4/0", "40", 85), Choice("4/1", "41", 92))),
            ("Corners", (Choice("Square", "SQ"), Choice("Rounded", "RD", 110))),
        ),
        (100, 250, 500, 1000, 2500, 5000), 1900, 1800, edoc_capable=True,
    ),
    Product(
        "Flyers", "FL",
        (
            ("Size", (Choice('8.5" x 11"', "LTR"), Choice('5.5" x 8.5"', "HLF", 70), Choice('11" x 17"', "TAB", 180))),
            ("Paper", (Choice("100lb Gloss Text", "100G"), Choice("80lb Matte Text", "80M", 90))),
            ("Sides", (Choice("4/0", "40", 80), Choice("4/4", "44"))),
        ),
        STANDARD_QUANTITIES, 2500, 9500,
    ),
    Product(
        "Vinyl Banners", "BN",
        (
            ("Size", (Choice("2' x 4'", "24", 60), Choice("3' x 6'", "36"), Choice("4' x 8'", "48", 170))),
            ("Material", (Choice("13oz Vinyl", "13V"), Choice("15oz Blockout", "15B", 130))),
            ("Finishing", (Choice("Hemmed + Grommets", "HG"), Choice("Pole Pockets", "PP", 105))),
        ),
        (1, 2, 3, 5, 10, 24), 1500, 6_400_000,
    ),
    Product(
        "Tri-fold Brochures", "BR",
        (
            ("Size", (Choice('8.5" x 11" Tri-fold', "TF"), Choice('11" x 17" Bi-fold', "BF", 165))),
            ("Paper", (Choice("100lb Gloss Text", "100G"), Choice("80lb Silk Text", "80S", 95))),
            ("Sides", (Choice("4/4", "44"),)),
        ),
        STANDARD_QUANTITIES, 4500, 21000,
    ),
    Product(
        "Postcards", "PC",
        (
            ("Size", (Choice('4" x 6"', "46"), Choice('5" x 7"', "57", 120), Choice('6" x 9"', "69", 150))),
            ("Paper", (Choice("14pt Gloss", "14G"), Choice("16pt Matte", "16M", 110))),
            ("Sides", (Choice("4/4", "44"), Choice("4/1", "41", 90))),
            ("Mailing", (Choice("None", "NM"), Choice("EDDM bundling", "ED", 115))),
        ),
        STANDARD_QUANTITIES, 2200, 6500,
    ),
    Product(
        "Letterhead", "LH",
        (
            ("Paper", (Choice("70lb Opaque Smooth", "70O"), Choice("24lb Bond", "24B", 90),
                       Choice("100% Cotton Laid", "CTN", 175))),
            ("Ink", (Choice("4/0", "40"), Choice("1/0 PMS", "10P", 70))),
        ),
        (250, 500, 1000, 2500, 5000), 3500, 7200, edoc_capable=True,
    ),
    Product(
        "#10 Envelopes", "EN",
        (
            ("Window", (Choice("None", "NW"), Choice("Left window", "LW", 108))),
            ("Ink", (Choice("1/0 Black", "10K", 75), Choice("4/0", "40"))),
            ("Paper", (Choice("24lb White Wove", "24W"),)),
        ),
        (250, 500, 1000, 2500, 5000), 3900, 9800, edoc_capable=True,
    ),
    Product(
        "Die-cut Stickers", "ST",
        (
            ("Size", (Choice('2" x 2"', "22"), Choice('3" x 3"', "33", 140), Choice('4" Circle', "4C", 170))),
            ("Material", (Choice("White Vinyl", "WV"), Choice("Clear BOPP", "CB", 115))),
            ("Finish", (Choice("Gloss Laminate", "GL"), Choice("Matte Laminate", "ML"))),
        ),
        STANDARD_QUANTITIES, 2900, 14000,
    ),
    Product(
        "Posters", "PS",
        (
            ("Size", (Choice('11" x 17"', "1117", 45), Choice('18" x 24"', "1824"), Choice('24" x 36"', "2436", 175))),
            ("Paper", (Choice("100lb Gloss Text", "100G"), Choice("8mil Satin Photo", "8SP", 160))),
        ),
        (10, 25, 50, 100, 250, 500), 1500, 280_000,
    ),
    Product(
        "Saddle-stitched Booklets", "BK",
        (
            ("Pages", (Choice("8", "08", 60), Choice("12", "12", 80), Choice("16", "16"), Choice("24", "24", 140),
                       Choice("32", "32", 185))),
            ("Size", (Choice('5.5" x 8.5"', "HLF", 75), Choice('8.5" x 11"', "LTR"))),
            ("Cover", (Choice("100lb Gloss Cover", "GC", 115), Choice("Self cover", "SC"))),
        ),
        (50, 100, 250, 500, 1000, 2500), 9500, 98_000,
    ),
)


@dataclass(frozen=True)
class ShippingMethod:
    name: str
    carrier: str  # empty when nothing is handed to a carrier
    charges_cents: tuple[int, ...]
    weight: int


DOMESTIC_SHIPPING = (
    ShippingMethod("UPS Ground", "UPS", (895, 1250, 1475, 1875, 2450), 50),
    ShippingMethod("FedEx 2Day", "FedEx", (2495, 3150, 4200), 20),
    ShippingMethod("USPS Priority", "USPS", (995, 1345, 1545), 15),
    ShippingMethod("Local pickup", "", (0,), 15),
)
INTERNATIONAL_SHIPPING = (
    ShippingMethod("FedEx International Priority", "FedEx", (6850, 8900, 11250), 70),
    ShippingMethod("UPS Worldwide Saver", "UPS", (5990, 7425), 30),
)


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    postal_code: str
    country: str
    phone_prefix: str
    streets: tuple[str, ...]
    tax_bp: tuple[int, int, int] = (0, 0, 0)  # state, local, special district; basis points
    vat_bp: int = 0


US_STREETS = (
    "Main Street", "Oak Avenue", "Market Street", "Commerce Way", "Industrial Parkway", "Harbor Boulevard",
    "Cedar Lane", "Lincoln Avenue", "Riverside Drive", "Elm Street", "Washington Avenue", "Pine Street",
)

DOMESTIC_PLACES: tuple[Place, ...] = (
    Place("Portland", "OR", "97204", "US", "+1 503-555-", US_STREETS),
    Place("Austin", "TX", "78701", "US", "+1 512-555-", US_STREETS, (625, 200, 0)),
    Place("Denver", "CO", "80202", "US", "+1 303-555-", US_STREETS, (290, 481, 100)),
    Place("Columbus", "OH", "43215", "US", "+1 614-555-", US_STREETS, (575, 225, 0)),
    Place("Raleigh", "NC", "27601", "US", "+1 919-555-", US_STREETS, (475, 250, 0)),
    Place("Boise", "ID", "83702", "US", "+1 208-555-", US_STREETS, (600, 0, 0)),
    Place("Madison", "WI", "53703", "US", "+1 608-555-", US_STREETS, (500, 50, 0)),
    Place("Burlington", "VT", "05401", "US", "+1 802-555-", US_STREETS, (600, 100, 0)),
    Place("Tucson", "AZ", "85701", "US", "+1 520-555-", US_STREETS, (560, 260, 0)),
    Place("Savannah", "GA", "31401", "US", "+1 912-555-", US_STREETS, (400, 300, 0)),
    Place("Albany", "NY", "12207", "US", "+1 518-555-", US_STREETS, (400, 400, 0)),
    Place("Boston", "MA", "02110", "US", "+1 617-555-", US_STREETS, (625, 0, 0)),
    Place("Spokane", "WA", "99201", "US", "+1 509-555-", US_STREETS, (650, 250, 0)),
)

INTERNATIONAL_PLACES: tuple[Place, ...] = (
    Place("Toronto", "ON", "M5V 2T6", "CA", "+1 416-555-", ("King Street West", "Queen Street East", "Spadina Avenue"),
          vat_bp=1300),
    Place("Manchester", "", "M1 1AE", "GB", "+44 161 496 ", ("Deansgate", "Portland Street", "Oxford Road"),
          vat_bp=2000),
    Place("München", "BY", "80331", "DE", "+49 89 5550 ", ("Hauptstraße", "Marienplatz", "Schillerstraße"),
          vat_bp=1900),
    Place("São Paulo", "SP", "01310-100", "BR", "+55 11 5555-", ("Avenida Paulista", "Rua Augusta", "Rua Oscar Freire"),
          vat_bp=1700),
)

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Lucas", "Zoë", "José", "Chloé", "Björn", "Aisha",
    "Hiroshi", "Priya", "Seán", "Renée", "Ingrid", "Marcus", "Dana", "Tomás", "Grace", "Kwame", "Lena", "Omar",
    "Hannah", "Diego", "Mei", "Samuel", "Fatima", "Nora", "Ethan",
)
LAST_NAMES = (
    "Smith", "Johnson", "Nguyen", "Garcia", "O'Brien", "Müller", "Kowalski", "Patel", "Núñez", "Okafor", "Schmidt",
    "Rossi", "Dubois", "Andersen", "Chen", "Walsh", "Fitzgerald", "Haddad", "Silva", "Yamamoto", "D'Angelo",
    "Brennan", "Larsen", "Moreau", "Reyes", "Cohen", "Baptiste", "Kim",
)
COMPANIES = (
    "O'Brien & Sons <Intl>", "Blue Ridge Dental Group", "Harbor Light Realty", "Cedar & Pine Landscaping",
    "Summit Credit Union", "Lakeside Veterinary Clinic", "Brightside Pediatrics", "Redwood Coffee Roasters",
    "Granite State Brewing Co.", "Peak Performance Physio", "Maple Street Bakery", "Ironclad Fitness",
    "Northstar Insurance Agency", "Bayview Law Partners LLP", "Sunrise Senior Living", "Evergreen Montessori",
    "Copper Kettle Catering", "Atlas Moving & Storage", "Riverbend Animal Hospital", "Keystone Title & Escrow",
    "Wildflower Yoga Studio", "Pioneer Valley Farms", "Lighthouse Church", "Tidewater Marine Supply",
)
INTERNATIONAL_COMPANIES = {
    "CA": ("Maple Leaf Events Inc.", "Lakeshore Dental Centre"),
    "GB": ("Whitworth & Hale Ltd", "Northern Quarter Studio"),
    "DE": ("Müller Druck GmbH", "Bäckerei Schön & Söhne"),
    "BR": ("Gráfica Paulista Ltda", "Café São Jorge"),
}

LINE2_CHOICES = ("Suite 200", "Suite 310", "Floor 3", "Unit 7B", "Building C", "Attn: Accounts Payable")

ORDER_NOTES = (
    "Please deliver to O'Brien & Sons <Intl>, receiving dock 3.",
    "Attn: Zoë Müller, marketing dept.",
    "Ship to our São Paulo office if Denver is closed for the holiday.",
    "Rush: needed for the trade show on Friday!",
    'Call before delivery: "front desk closes at 5 pm".',
    "Match last year's run (PMS 286 C) & keep the same stock.",
    "Split shipment is OK.",
    "Bill freight to our FedEx account #4821-0093-7.",
    "Leave with security if nobody answers <side entrance>.",
    "Reorder of #A-100482 with the new phone number.",
    "Gracias, José. Same as last month.",
    "Für die Messe in München — bitte pünktlich liefern.",
)

ITEM_NOTES = (
    "Proof required before printing.",
    'Bleed is 0.125" on all sides.',
    "Number 0001–0500 in red, top right.",
    "Use the Zoë Müller version of the file.",
    "Artwork: final_v3 (O'Brien & Sons <Intl>).pdf",
    "Shrink-wrap in packs of 50 & label the boxes.",
    "Colors must match the brand guide < ΔE 2.",
    "Back side blank on the last 100.",
)

DENIAL_NOTES = (
    "Denied: logo is low resolution (72 dpi); please resend at 300 dpi.",
    "Denied: the phone number is missing a digit.",
    "Denied: wrong template & no bleed <see proof>.",
)


@dataclass(frozen=True)
class Person:
    """A named customer the demo always contains, so special characters are on screen at once."""

    first_name: str
    last_name: str
    company: str
    place: Place
    street: str


def _place(city: str) -> Place:
    return next(p for p in DOMESTIC_PLACES + INTERNATIONAL_PLACES if p.city == city)


SHOWCASE_PEOPLE = (
    Person("Seán", "O'Brien", "O'Brien & Sons <Intl>", _place("Boston"), "Harbor Boulevard"),
    Person("Zoë", "Müller", "Müller Druck GmbH", _place("München"), "Hauptstraße"),
    Person("João", "Silva", "Gráfica Paulista Ltda", _place("São Paulo"), "Avenida Paulista"),
)
