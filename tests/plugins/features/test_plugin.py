from router import Features, Settings, Storyboard, StoryboardShot
from router.config import PluginSettings
from router.features import FeatureParsers
from router.plugins import get_plugin_manager
from router.registry import build_feature_parsers

SHARE = "s_0123456789abcdef0123456789abcdef"


def parsers(settings: Settings) -> FeatureParsers:
    pm = get_plugin_manager(PluginSettings(builtins=["plugins.features"], load_entry_points=False))
    return build_feature_parsers(pm, settings)


def test_hook_register_feature_parsers() -> None:
    assert sorted(parsers(Settings()).names) == ["generation_id", "remix", "storyboard", "style"]


def test_disabled_parser_leaves_its_marker() -> None:
    features = parsers(Settings(features={"disabled": ["style"]}))
    parsed = features.parse("{anime} a cat", ["style"])
    assert parsed.prompt == "{anime} a cat"
    assert parsed.features == Features()


def test_combined_remix_style_storyboard() -> None:
    prompt = (
        f"https://sora.chatgpt.com/p/{SHARE} {{anime}}\n"
        "A rainy city\n"
        "[5s] a cat {comic} walks\n"
        "[5.0s] it jumps"
    )
    parsed = parsers(Settings()).parse(prompt, ["remix", "style", "storyboard"])
    assert parsed.prompt == "A rainy city\n[5s] a cat walks\n[5.0s] it jumps"
    assert parsed.features == Features(
        style="anime",
        remix_target=SHARE,
        storyboard=Storyboard(
            shots=(StoryboardShot("5", "a cat walks"), StoryboardShot("5.0", "it jumps")),
            instructions="A rainy city",
        ),
    )


def test_explicit_fields_through_the_collection() -> None:
    parsed = parsers(Settings()).parse(
        "a cat {anime}", ["remix", "style"], {"remix_target_id": SHARE, "style_id": "retro"}
    )
    assert parsed.prompt == "a cat"
    assert parsed.features == Features(style="retro", remix_target=SHARE)
