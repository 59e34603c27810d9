from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from router.config import Settings, load_settings

DOCUMENTED = Path(__file__).resolve().parents[2] / "config" / "sora2api.yaml"


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _keys(annotation, f"{path}.")
        else:
            keys.add(path)
    return keys


def _yaml_keys(data: dict[str, object], prefix: str = "") -> set[str]:
    keys = set()
    for name, value in data.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict) and path not in {"plugins.settings", "passthrough.router_settings"}:
            keys |= _yaml_keys(value, f"{path}.")
        else:
            keys.add(path)
    return keys


def test_every_setting_is_documented_in_the_yaml_file() -> None:
    documented = _yaml_keys(yaml.safe_load(DOCUMENTED.read_text()))
    assert documented == _keys(Settings)


def test_the_documented_file_equals_the_defaults() -> None:
    assert load_settings(DOCUMENTED) == Settings()


def test_defaults_match_the_issue() -> None:
    settings = Settings()
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8000)
    assert settings.upstream.sora_backend == "https://sora.chatgpt.com/backend"
    assert settings.upstream.sora_web == "https://sora.chatgpt.com"
    assert settings.upstream.chatgpt == "https://chatgpt.com"
    assert settings.upstream.openai_auth == "https://auth.openai.com"
    assert settings.database.url.startswith("sqlite+aiosqlite:///data/")


def test_environment_overrides_yaml_with_nesting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("server:\n  port: 9001\nupstream:\n  proxy: http://yaml-proxy:1\n")
    monkeypatch.setenv("SORA2API_UPSTREAM__SORA_BACKEND", "http://127.0.0.1:9100/backend")
    monkeypatch.setenv("SORA2API_SERVER__PORT", "9002")
    settings = load_settings(config)
    assert settings.upstream.sora_backend == "http://127.0.0.1:9100/backend"
    assert settings.server.port == 9002
    assert settings.upstream.proxy == "http://yaml-proxy:1"  # untouched sibling keeps the YAML value
    assert settings.server.host == "127.0.0.1"


def test_secrets_from_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "key.txt").write_text("sk-from-file\n")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"auth": {"api_keys": [{"$env": "MY_KEY"}, {"$file": "key.txt"}]}}))
    monkeypatch.setenv("MY_KEY", "sk-from-env")
    assert load_settings(config).auth.api_keys == ["sk-from-env", "sk-from-file"]


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("server:\n  prot: 1\n")
    with pytest.raises(ValidationError, match="prot"):
        load_settings(config)
