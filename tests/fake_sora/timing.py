"""How long simulated work takes, and the simulator's behaviour switches."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

DESKTOP_CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
NEXUS5_UA = (
    "Mozilla/5.0 (Linux; Android 6.0; Nexus 5 Build/MRA58N) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SORA_ANDROID_UA = "Sora/1.2026.007 (Android 15; 24122RKC7C; build 2600700)"
DEFAULT_CLIENT_ID = "app_LlGpXReQgckcGGUo2JrYvtJK"
IOS_REDIRECT_URI = "com.openai.chat://auth0.openai.com/ios/com.openai.chat/callback"


@dataclass(frozen=True)
class Timing:
    """Durations in seconds. A video goes preprocessing → queued → running → processing → done."""

    video_preprocessing_s: float = 2.0
    video_queued_s: float = 2.0
    video_running_s: float = 12.0
    video_processing_s: float = 4.0
    image_processing_s: float = 6.0
    cameo_processing_s: float = 8.0
    latency_s: float = 0.0  # added to every response
    jitter_s: float = 0.0  # plus a uniform random 0..jitter_s

    @classmethod
    def fast(cls) -> Timing:
        """About 1.2 s per video, 0.4 s per image: what integration tests want."""
        return cls(0.1, 0.1, 0.8, 0.2, 0.4, 0.4)

    @classmethod
    def instant(cls) -> Timing:
        """A few tens of milliseconds per task, for unit-level tests of the simulator itself."""
        return cls(0.01, 0.01, 0.06, 0.01, 0.03, 0.03)

    def scaled(self, speed: float) -> Timing:
        """All durations divided by ``speed`` (2.0 = twice as fast)."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        return replace(self, **{f.name: getattr(self, f.name) / speed for f in fields(self)})

    @property
    def video_total_s(self) -> float:
        return (
            self.video_preprocessing_s + self.video_queued_s + self.video_running_s + self.video_processing_s
        )


@dataclass
class SimConfig:
    """Behaviour switches; every default follows the spec."""

    pow_required: bool = True
    pow_difficulty: str = "0fffff"
    pow_service_key: str = "fake-pow-key"
    pow_service_cookie: bool = True  # whether the POW-service stub returns a cookie_header
    parse_token: str = "fake-parse-token"
    max_concurrent_videos: int = 3
    access_token_ttl_s: int = 10 * 24 * 3600
    # Reject requests whose fixed-value headers (Origin, Accept, sec-fetch-*, ...) differ from the spec.
    enforce_headers: bool = True
    # Reject User-Agents that differ from what the spec prescribes per call class (§2.2, §2.3, §7.5).
    enforce_user_agents: bool = True
    # Reject sy_ore, size "large" and 750 frames for accounts whose plan is not chatgpt_pro (§5.2).
    enforce_pro_models: bool = True
    # Require sora2 to be activated (invite/mine 200) for video, cameo and enhance calls (§4.3).
    enforce_sora2: bool = True
