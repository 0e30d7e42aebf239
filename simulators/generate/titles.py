"""Plain Swedish case titles from templates such as "Bygglov för {bygg}, {prop}".

`TitleFiller` fills a template's placeholders on demand from word pools, so a
title only costs the random draws it needs. `{name}` and `{pnr}` are the
subject's (titles in the public diary often carry them; masking is the
gateway's job).
"""

from __future__ import annotations

import random

from .. import names
from ..world import Person

WORDS: dict[str, tuple[str, ...]] = {
    "street": tuple(f"{s} {n}" for s in names.STREETS for n in (2, 5, 8, 12, 17, 23)),
    "place": (
        "badplatsen vid Exempelby sjö", "återvinningsstationen på Bruksgatan", "Norra parken",
        "busshållplatsen vid torget", "skolgården vid Centralskolan", "gångtunneln under väg 45",
        "Sjöbackens naturreservat", "parkeringen vid idrottsplatsen", "Strandvägens rastplats",
        "skogsdungen vid Ängsvägen", "lekplatsen i Vallhornet", "infarten till industriområdet",
    ),
    "org": names.ORGANISATIONS,
    "official": names.OFFICIALS,
    "school": names.SCHOOLS,
    "preschool": names.PRESCHOOLS,
    "topic": (
        "utegym vid badplatsen", "fler papperskorgar i centrum", "farthinder på Skolgatan",
        "hundrastgård i Norra parken", "belysning på gång- och cykelvägen till Sjöbacken",
        "längre öppettider på biblioteket", "en skatepark vid idrottsplatsen",
        "blomsterplanteringar vid torget", "fler laddstolpar för elbilar",
        "bänkar längs Strandvägen", "en badbrygga vid Näset",
        "gratis kollektivtrafik för pensionärer",
    ),
    "ks": (
        "ny översiktsplan", "regional trafikförsörjning", "vattenskyddsområde för Exempelby sjö",
        "kommunens krisberedskap", "bredbandsutbyggnad på landsbygden", "vindkraft i Norra skogen",
        "taxor för offentlig plats", "riktlinjer för representation",
    ),
    "policy": (
        "dokumenthanteringsplanen", "arkivreglementet", "delegationsordningen",
        "informationssäkerhetspolicyn", "riktlinjerna för upphandling",
    ),
    "prop": tuple(f"{q} {n}" for q in names.PROPERTY_QUARTERS for n in range(1, 13)),
    "bygg": (
        "nybyggnad av enbostadshus", "tillbyggnad av enbostadshus", "nybyggnad av garage",
        "nybyggnad av carport", "uppförande av plank", "fasadändring", "nybyggnad av förråd",
        "inglasning av altan", "nybyggnad av fritidshus", "tillbyggnad med uterum",
    ),
    "bygg_org": (
        "nybyggnad av flerbostadshus", "ändrad användning av lokal", "nybyggnad av lagerbyggnad",
        "uppsättning av skylt", "nybyggnad av radhus",
    ),
    "riv": ("garage", "förråd", "ekonomibyggnad", "enbostadshus", "lada"),
    "anm": (
        "installation av eldstad", "ändring av bärande konstruktion", "installation av hiss",
        "ändring av ventilation", "rivning av bärande vägg", "installation av bergvärme",
    ),
    "gata": ("hål i vägen", "trasig kantsten", "sättningar i asfalten", "trasig brunn",
             "isgata", "skadad gångbana", "nedfallen trafikskylt"),
    "ljus": ("trasig gatubelysning", "lampa lyser dygnet runt", "nedkörd belysningsstolpe",
             "blinkande gatlykta", "mörk gång- och cykelväg"),
    "skrap": ("nedskräpning", "dumpade sopsäckar", "glassplitter", "klotter",
              "övergiven cykel", "fulla papperskorgar"),
    "buller": ("fläktar på Ica Kvantum", "nattlig lastning på industriområdet",
               "grannes värmepump", "musik från Restaurang Gästis", "byggarbetsplats"),
    "fraga": ("sophämtning", "bygglov för altan", "förskolekö", "snöröjning", "avgifter",
              "öppettider på återvinningscentralen", "parkeringstillstånd", "bibliotekskort",
              "färdtjänst", "vatten och avlopp"),
    "synpunkt": ("snöröjningen", "städningen i centrum", "bemötandet i receptionen",
                 "skolmaten", "busshållplatsen vid torget", "belysningen i Norra parken",
                 "hastigheten på Storgatan", "lekplatsen i Vallhornet"),
    "forening": ("Exempelby IF", "Konstföreningen Paletten", "Hembygdsföreningen",
                 "Scoutkåren Vallhornet", "Exempelby Golfklubb", "PRO Exempelby",
                 "Exempelby Skidklubb", "Musikföreningen Tonkonsten"),
    "livs": ("Pizzeria Napoli", "Café Blåklockan", "Restaurang Gästis", "Ica Kvantum Exempelby",
             "Hemköp Centrum", "Sushi Exempelby", "Gatuköket vid torget",
             "Skolköket Centralskolan"),
}  # fmt: skip


class TitleFiller(dict[str, str]):
    """A mapping for `str.format_map` that draws each placeholder the first time it is used."""

    __slots__ = ("person", "rng", "year")

    def __init__(self, rng: random.Random, person: Person | None, year: int) -> None:
        super().__init__()
        self.rng = rng
        self.person = person
        self.year = year

    def __missing__(self, key: str) -> str:
        if key == "year":
            value = str(self.year)
        elif key == "name":
            value = f"{self.person.given_name} {self.person.family_name}" if self.person else ""
        elif key == "pnr":
            value = names.dashed(self.person.pnr) if self.person else ""
        else:
            pool = WORDS[key]
            value = pool[int(self.rng.random() * len(pool))]
        self[key] = value
        return value


def fill(template: str, rng: random.Random, person: Person | None, year: int) -> str:
    return template.format_map(TitleFiller(rng, person, year))
