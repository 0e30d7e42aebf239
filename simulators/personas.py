"""Who the sandbox's personas are: their personal numbers and the keys of their cases.

Only constants, so that tests, tokens and the generator can name a persona
without building one. Their persons, relations and cases are built by
`simulators.generate.persona_data` (`build_personas`, `persona_cases`).
"""

from __future__ import annotations

KALLE = "195606055555"
GRETA = "193404124129"
NILS = "201903142386"
ANNA = "197801012340"
BENGT = "199212249875"
SARA = "198509231661"
LISA = "194505173213"
TOLVAN = "191212121212"
SARA_CHILD = "202108152485"

PERSONAS = (KALLE, GRETA, NILS, ANNA, BENGT, SARA, LISA, TOLVAN, SARA_CHILD)
KALLE_MANDATE_ID = "FM-000001"

# keys of the persona cases in `persona_cases(...)`
KALLE_BYGGLOV = "kalle-bygglov"
KALLE_KULTURSTIPENDIUM = "kalle-kulturstipendium"
GRETA_SABO = "greta-sabo"
NILS_FORSKOLA = "nils-forskola"
ANNA_ESERVICE = "anna-eservice"
ANNA_ECOS = "anna-ecos"
ANNA_TEKNIK = "anna-teknik"
BENGT_KONTAKTCENTER = "bengt-kontaktcenter"
BENGT_KF = "bengt-kf"
BENGT_KS = "bengt-ks"
BENGT_KFN = "bengt-kfn"
SARA_EKB = "sara-ekb"
SARA_CHILD_FORSKOLA = "sara-child-forskola"
LISA_BYGGLOV = "lisa-bygglov"
TOLVAN_FELANMALAN = "tolvan-felanmalan"
TOLVAN_ESERVICE = "tolvan-eservice"
