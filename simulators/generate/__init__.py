"""The deterministic sandbox municipality: `generate(seed, reference_date, scale)`.

`municipality` assembles the `World`; `population`, `cases`, `numbers`, `steps`,
`timeline`, `titles` and `profiles*` make the mass data; `persona_data`,
`persona_kit` and `scenario*` build the personas' fixed scenarios (their ids
are in `simulators.personas`).
"""

from .municipality import generate

__all__ = ["generate"]
