"""Sora share links and ids (``s_<32 hex>``) or an explicit ``remix_target_id`` → the remix target."""

from __future__ import annotations

from plugins.features.ids import IdFeature

#: a share (post) id
SHARE_ID = r"s_[0-9a-f]{32}"


#: share links (``https://sora.chatgpt.com/p/s_…``) and bare ids; ``remix_target_id`` wins.
REMIX = IdFeature(
    name="remix",
    id_pattern=SHARE_ID,
    field="remix_target_id",
    feature="remix_target",
    example="a Sora share id like 's_' + 32 hex digits",
)
