"""Swedish name, address and place pools, and fictitious personal numbers.

The simulators stand alone, so they carry their own Luhn check digit rather
than importing the gateway's validation. Pools are plain tuples: the generator
picks from them by index, which keeps mass generation cheap.
"""

from __future__ import annotations

# Given names by sex and era: the very old were named differently from the young.
MALE_OLDER = (
    "Karl", "Erik", "Lars", "Anders", "Per", "Jan", "Gunnar", "Sven", "Nils", "Bengt",
    "Olof", "Göran", "Lennart", "Stig", "Rolf", "Åke", "Bo", "Leif", "Kjell", "Hans",
    "Ingvar", "Rune", "Bertil", "Gösta", "Sten", "Ulf", "Tommy", "Mats", "Thomas", "Peter",
    "Björn", "Kent", "Roland", "Arne", "Folke", "Evert", "Harald", "Allan", "Curt", "Torsten",
)  # fmt: skip
MALE_YOUNGER = (
    "Johan", "Fredrik", "Daniel", "Andreas", "Marcus", "Mattias", "Niklas", "Jonas", "Martin",
    "Henrik", "Alexander", "Oscar", "William", "Lucas", "Liam", "Elias", "Noah", "Hugo",
    "Adam", "Oliver", "Viktor", "Filip", "Axel", "Isak", "Leo", "Theo", "Emil", "Anton",
    "Simon", "Sebastian", "Ludvig", "Gustav", "Albin", "Melvin", "Vincent", "Love", "Arvid",
    "Ahmed", "Mohammed", "Ali",
)  # fmt: skip
FEMALE_OLDER = (
    "Anna", "Maria", "Margareta", "Elisabeth", "Eva", "Birgitta", "Kerstin", "Karin",
    "Ingrid", "Marie", "Christina", "Lena", "Gunilla", "Inger", "Ulla", "Barbro", "Gun",
    "Monica", "Agneta", "Britt", "Siv", "Maj", "Elsa", "Astrid", "Greta", "Gunnel", "Ann",
    "Berit", "Ingegerd", "Solveig", "Marianne", "Susanne", "Annika", "Helena", "Catarina",
    "Yvonne", "Viola", "Ruth", "Dagny", "Irma",
)  # fmt: skip
FEMALE_YOUNGER = (
    "Emma", "Sara", "Hanna", "Johanna", "Linnea", "Elin", "Ida", "Sofia", "Julia", "Malin",
    "Jenny", "Frida", "Amanda", "Matilda", "Alice", "Maja", "Ebba", "Wilma", "Alva", "Vera",
    "Elsa", "Olivia", "Ella", "Agnes", "Saga", "Freja", "Selma", "Stella", "Klara", "Signe",
    "Lovisa", "Tilda", "Nora", "Moa", "Lisa", "Fatima", "Amira", "Leila", "Tove", "Isabelle",
)  # fmt: skip

# Weighted roughly like Statistics Sweden's list: the -son names dominate.
FAMILY_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
    "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Lindström", "Olofsson",
    "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren",
    "Lundqvist", "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Forsberg",
    "Sjöberg", "Wallin", "Engström", "Eklund", "Danielsson", "Lundin", "Håkansson", "Björk",
    "Bergman", "Gunnarsson", "Holm", "Wikström", "Samuelsson", "Isaksson", "Fransson",
    "Bergqvist", "Nyström", "Holmberg", "Arvidsson", "Löfgren", "Söderberg", "Nyberg",
    "Blomqvist", "Claesson", "Nordström", "Mårtensson", "Lundström", "Viklund", "Björklund",
    "Eliasson", "Pålsson", "Berggren", "Sandström", "Lund", "Nordin", "Ström", "Åberg",
    "Hermansson", "Ekström", "Falk", "Holmgren", "Dahlberg", "Hellström", "Hedlund",
    "Sundberg", "Sjögren", "Ek", "Blom", "Abrahamsson", "Martinsson", "Öberg", "Andreasson",
    "Strömberg", "Månsson", "Åkesson", "Hansen", "Norberg", "Lindholm", "Dahl", "Jonasson",
    "Hassan", "Mohammed", "Ali", "Nguyen", "Korhonen", "Virtanen", "Kowalski", "Yilmaz",
)  # fmt: skip
FAMILY_WEIGHTS = tuple(max(1, 40 - i // 3) for i in range(len(FAMILY_NAMES)))

STREETS = (
    "Storgatan", "Kyrkogatan", "Drottninggatan", "Skolgatan", "Järnvägsgatan", "Östra vägen",
    "Västra vägen", "Norra Allén", "Södra Allén", "Lönnvägen", "Björkvägen", "Ekvägen",
    "Granvägen", "Tallvägen", "Rönnvägen", "Aspvägen", "Hasselvägen", "Lindvägen",
    "Vallhornsvägen", "Sjövägen", "Strandvägen", "Bäckvägen", "Ängsvägen", "Mossvägen",
    "Kvarngatan", "Smedjegatan", "Torggatan", "Parkgatan", "Hamngatan", "Bruksgatan",
    "Idrottsvägen", "Prästgårdsvägen", "Gamla landsvägen", "Skogsstigen", "Ängsstigen",
    "Blåklocksvägen", "Prästkragevägen", "Vitsippsvägen", "Solrosvägen", "Tranvägen",
)  # fmt: skip
# Exempelby has the fictitious postal codes 871 30 - 871 69; one per street.
POSTAL_CODES = tuple(f"871 {30 + i}" for i in range(len(STREETS)))

# Property designations (fastighetsbeteckningar) are quarter name + number.
PROPERTY_QUARTERS = (
    "Lönnen", "Björken", "Eken", "Granen", "Tallen", "Rönnen", "Aspen", "Hasseln", "Linden",
    "Almen", "Hägern", "Tranan", "Svanen", "Ugglan", "Falken", "Örnen", "Kvarnen", "Smedjan",
    "Prästgården", "Sjöbacken", "Vallhornet", "Näset", "Udden", "Kullen",
)  # fmt: skip

ORGANISATIONS = (
    "Exempelby Bygg AB", "Norrgårdens Fastigheter AB", "Exempelby Energi AB",
    "Sjöbergs Åkeri AB", "Bostads AB Exempelbyhem", "Pizzeria Napoli", "Café Blåklockan",
    "Restaurang Gästis", "Exempelby IF", "Konstföreningen Paletten", "Hembygdsföreningen",
    "Scoutkåren Vallhornet", "Exempelby Mark och Schakt AB", "Lantmännen Exempelby",
    "Ica Kvantum Exempelby", "Exempelby Golfklubb", "Brf Lönnen", "Brf Sjöutsikten",
)  # fmt: skip

OFFICIALS = (
    "Maria Ek", "Johan Berglund", "Sofia Lindholm", "Per Åberg", "Karin Sjödin",
    "Anders Holm", "Lena Nordqvist", "Mikael Strand", "Eva Hedin", "Tobias Falk",
)  # fmt: skip

PRESCHOOLS = (
    "Nyckelpigan", "Solrosen", "Blåklockan", "Humlan", "Ekorren", "Tallkotten",
    "Regnbågen", "Myran", "Fjärilen", "Snäckan",
)  # fmt: skip
SCHOOLS = (
    "Centralskolan", "Vallhornsskolan", "Sjöbackaskolan", "Kvarnskolan", "Ängsskolan",
    "Näsets skola",
)  # fmt: skip
ELDERLY_HOMES = ("Vallhornet", "Solgården", "Lindgården", "Sjögläntan", "Ekbacken")


def _serial_sums() -> tuple[int, ...]:
    """Luhn contribution of the three serial digits NNN (weights 2, 1, 2)."""
    sums = []
    for n in range(1000):
        a, b, c = n // 100, n // 10 % 10, n % 10
        sums.append(_double(a) + b + _double(c))
    return tuple(sums)


def _double(d: int) -> int:
    d *= 2
    return d - 9 if d > 9 else d


SERIAL_SUMS = _serial_sums()


def luhn_digit(nine: str) -> int:
    """The check digit over the nine digits YYMMDDNNN."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch)
        total += _double(d) if i % 2 == 0 else d
    return (10 - total % 10) % 10


def date_sum(yymmdd: str) -> int:
    """Luhn contribution of the six date digits (weights 2, 1, 2, 1, 2, 1)."""
    return sum(_double(int(ch)) if i % 2 == 0 else int(ch) for i, ch in enumerate(yymmdd))


def personal_number(yyyymmdd: str, serial: int, dsum: int | None = None) -> str:
    """A 12-digit number with a valid check digit; `dsum` is `date_sum(yyyymmdd[2:])`."""
    if dsum is None:
        dsum = date_sum(yyyymmdd[2:])
    check = (10 - (dsum + SERIAL_SUMS[serial]) % 10) % 10
    return f"{yyyymmdd}{serial:03d}{check}"


def is_valid_pnr(pnr: str) -> bool:
    """Shape, date-ish digits and check digit (coordination numbers have day + 60)."""
    if len(pnr) != 12 or not pnr.isdigit():
        return False
    month, day = int(pnr[4:6]), int(pnr[6:8])
    if not 1 <= month <= 12 or not (1 <= day <= 31 or 61 <= day <= 91):
        return False
    return luhn_digit(pnr[2:11]) == int(pnr[11])


def dashed(pnr: str) -> str:
    """19560605-5555, the way a title or a letter writes a personal number."""
    return f"{pnr[:8]}-{pnr[8:]}"
