"""Sora generation ids (``gen_…``) and the explicit ``generation_id`` → ``Features.generation_id``."""

from __future__ import annotations

from plugins.features.ids import IdFeature

#: a generation (draft) id, e.g. ``gen_01k9btrqrnen792yvt703dp0tq``
GENERATION_ID = r"gen_[A-Za-z0-9]+"


#: Bare ids and URLs that only wrap one (``https://sora.chatgpt.com/g/gen_…``); the field wins.
GENERATION_IDS = IdFeature(
    name="generation_id",
    id_pattern=GENERATION_ID,
    field="generation_id",
    feature="generation_id",
    example="a Sora generation id like 'gen_01abc…'",
)
