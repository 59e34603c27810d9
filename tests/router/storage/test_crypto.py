"""TokenCipher and the key file."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from router.errors import GatewayError
from router.storage.crypto import KEY_FILE, TokenCipher, load_or_create_key


def test_round_trip_and_ciphertext_hides_the_token() -> None:
    cipher = TokenCipher(Fernet.generate_key().decode())
    ciphertext = cipher.encrypt("eyJ-secret")
    assert "eyJ-secret" not in ciphertext
    assert cipher.decrypt(ciphertext) == "eyJ-secret"
    assert "key" in repr(cipher) and "***" in repr(cipher)


def test_another_key_cannot_decrypt() -> None:
    ciphertext = TokenCipher(Fernet.generate_key().decode()).encrypt("eyJ-secret")
    with pytest.raises(GatewayError) as raised:
        TokenCipher(Fernet.generate_key().decode()).decrypt(ciphertext)
    assert raised.value.code == "token_decryption_failed"


def test_configured_key_wins_and_writes_nothing(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    assert load_or_create_key(tmp_path / "data", f" {key}\n") == key
    assert not (tmp_path / "data").exists()


def test_invalid_configured_key_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="32 url-safe"):
        load_or_create_key(tmp_path, "not-a-key")


def test_key_file_is_generated_private_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = load_or_create_key(data_dir, "")
    path = data_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(data_dir, "") == key
    TokenCipher(key)
    assert [entry.name for entry in data_dir.iterdir()] == [KEY_FILE]


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: load_or_create_key(tmp_path, ""), range(16)))
    assert keys == {(tmp_path / KEY_FILE).read_text().strip()}


def test_corrupt_key_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("garbage\n")
    with pytest.raises(ValueError):
        load_or_create_key(tmp_path, "")
