"""Settings from the environment (prefix ZC_, plus the conventional MONGODB_URI)."""

import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-secret-change-me"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
DEV_ENVS = ("dev", "test")
MIN_SECRET_LENGTH = 32
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_", env_file=".env", extra="ignore")

    env: str = Field(default="dev", description="dev | test | prod")
    secret_key: str = DEFAULT_SECRET
    # Unset: the app starts the embedded SecantusDB server itself, with its data under var/.
    mongodb_uri: str | None = Field(default=None, validation_alias=AliasChoices("MONGODB_URI", "ZC_MONGODB_URI"))
    database: str = "zhicheng"
    var_dir: Path = PROJECT_ROOT / "var"
    embedded_port: int = 27317
    # How long a request waits for an unreachable database before it is answered 503 (server selection
    # and connecting); the driver's default of 30 s would hold every request that long.
    database_timeout_seconds: float = Field(default=3, gt=0, le=60)

    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Unset: Secure outside dev/test. Set false only for a plain-http development server.
    cookie_secure: bool | None = None

    # argon2id at OWASP's minimum, one lane; older hashes are re-made at the next login. At most
    # password_hash_concurrency hashes run at once in a process (each holds its memory cost while it runs).
    password_hash_time_cost: int = Field(default=2, ge=1)
    password_hash_memory_kib: int = Field(default=19456, ge=8192)
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)

    lockout_threshold: int = 5
    lockout_minutes: int = 15
    login_failure_hours: int = 24          # a login string's failure record (and its captcha) lasts this long
    captcha_ttl_seconds: int = 300
    recovery_code_ttl_seconds: int = 600
    recovery_code_interval_seconds: int = 60
    recovery_codes_per_hour: int = 5
    recovery_max_attempts: int = 5
    recovery_resets_per_client_hour: int = 30
    recovery_resets_per_login_hour: int = 10
    recovery_codes_per_client_hour: int = 30
    registration_conflicts_per_client_hour: int = 20
    staff_invitation_days: int = 30

    message_gateway: str = Field(default="outbox", description="outbox: write to the outbox collection and the log")

    # Forms: the address certificates' QR codes and printed check address point at (`serve` sets it from its
    # --host/--port when unset; production must set it), and the LibreOffice PDF converter.
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL
    converter_url: str | None = Field(default=None, description="unoserver XML-RPC address(es), comma-separated; unset: local workers")
    converter_workers: int = Field(default=2, ge=1, le=16)
    converter_autostart: bool | None = Field(default=None, description="unset: start with the service, not in tests")
    converter_soffice: str = "soffice"
    converter_python: str = Field(default="/usr/bin/python3", description="a Python that can import uno")
    converter_timeout_seconds: float = 60
    converter_startup_seconds: float = 60
    converter_queue_seconds: float = 120
    converter_max_conversions: int = 200

    # Certificates are signed (PAdES) with the issuing key: a PKCS#12 file, or a key on a PKCS#11 token. Neither set:
    # in dev/test a development key made once under var/signing/, elsewhere the service refuses to start.
    signing_pkcs12_path: Path | None = None
    signing_pkcs12_passphrase: str | None = None
    signing_pkcs11_module: Path | None = Field(default=None, description="the token's PKCS#11 library (.so)")
    signing_pkcs11_token_label: str | None = None
    signing_pkcs11_key_label: str | None = None
    signing_pkcs11_cert_label: str | None = None
    signing_pkcs11_pin: str | None = None
    # Certificates (PEM files, comma-separated) whose signatures verification also accepts: the signing
    # certificates used before a key rotation, and CA roots when the signing certificate is issued by one.
    signing_trusted_certs: str = ""

    # Migrations and periodic jobs (app/scheduler.py): each process ticks, one runs each piece of work.
    background_work: bool | None = Field(default=None, description="unset: on, except in tests")
    background_tick_seconds: float = Field(default=60, gt=0)

    @field_validator("public_base_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"ZC_PUBLIC_BASE_URL 应为对外公开的 http(s) 地址，如 https://zc.example.gov.cn（当前“{value}”）")
        return value.strip().rstrip("/")

    @property
    def is_dev(self) -> bool:
        """Development or tests: the only places demo accounts, the embedded database and weak secrets may live."""
        return self.env in DEV_ENVS

    @property
    def runs_background_work(self) -> bool:
        return self.background_work if self.background_work is not None else self.env != "test"

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else not self.is_dev

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        if self.is_dev:
            return self
        if self.secret_key == DEFAULT_SECRET:
            raise ValueError("ZC_SECRET_KEY 仍为默认值：非开发环境必须设置自己的密钥")
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(f"ZC_SECRET_KEY 过短：非开发环境的密钥至少{MIN_SECRET_LENGTH}个字符"
                             f"（当前{len(self.secret_key)}个），可用 python3 -c 'import secrets; "
                             f"print(secrets.token_urlsafe(48))' 生成")
        if not self.mongodb_uri:
            raise ValueError("MONGODB_URI 未设置：内嵌数据库只用于开发与测试")
        if self.public_base_url == DEFAULT_PUBLIC_BASE_URL:
            raise ValueError("ZC_PUBLIC_BASE_URL 未设置：证书二维码和核验地址须指向本服务对外公开的地址")
        if not (self.signing_pkcs12_path or self.signing_pkcs11_module):
            raise ValueError("未配置证书签名密钥：请设置 ZC_SIGNING_PKCS12_PATH（及 ZC_SIGNING_PKCS12_PASSPHRASE）"
                             "或 ZC_SIGNING_PKCS11_MODULE，开发密钥只用于开发与测试")
        if self.signing_pkcs12_path and self.signing_pkcs11_module:
            raise ValueError("ZC_SIGNING_PKCS12_PATH 与 ZC_SIGNING_PKCS11_MODULE 只能设置其一")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_or_exit() -> Settings:
    """For process entry points: an unsafe configuration stops the process with its reasons and status 2,
    instead of a traceback (the command line and `uvicorn app.main:app` alike)."""
    try:
        return get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"配置错误：{error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        raise SystemExit(2) from None
