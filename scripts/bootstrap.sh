#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: system packages once, then the venv.
# Safe to run repeatedly; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# libreoffice-writer-nogui + python3-uno: the warm PDF converter (app/render/convert.py); fonts-noto-cjk
# and fonts-liberation2 (Times New Roman/Arial metrics): what the forms' fonts map to; poppler-utils:
# pdffonts/pdftotext for checking the PDFs; softhsm2: a software PKCS#11 token the certificate-signing tests use.
APT_PACKAGES=(chromium fonts-noto-cjk fonts-wqy-zenhei docker-compose libreoffice-writer-nogui python3-uno
              fonts-liberation2 poppler-utils softhsm2)
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> 安装系统软件包（apt，首次需要几分钟）/ installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> 创建 Python 虚拟环境 / creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> 安装 Python 依赖（pip，首次需要一两分钟）/ installing Python packages (pip install -e .[dev])"
  # pip warns about index folders configured on some machines; the install itself is what matters
  .venv/bin/pip install -q --disable-pip-version-check -e ".[dev]" 2> >(grep -v "^WARNING: Location" >&2)
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# axe-core (npm, pinned) for the browser tests' accessibility checks: the one file they inject into pages,
# kept under var/ (never committed, never served by the app). npm comes with Node.js or from apt.
AXE_VERSION=4.14.1
if [ ! -f "var/axe-core-$AXE_VERSION/axe.min.js" ]; then
  if ! command -v npm >/dev/null; then
    echo "==> 安装 npm（apt）/ installing npm"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "==> axe-core $AXE_VERSION (npm) for the accessibility tests"
  scratch=$(mktemp -d)
  npm pack --silent "axe-core@$AXE_VERSION" --pack-destination "$scratch" >/dev/null
  mkdir -p "var/axe-core-$AXE_VERSION"
  tar -xzf "$scratch/axe-core-$AXE_VERSION.tgz" -C "var/axe-core-$AXE_VERSION" --strip-components=1 \
      package/axe.min.js package/LICENSE
  rm -rf "$scratch"
fi

# The development key and self-signed certificate that sign e-certificates in dev and test, made once
# under var/signing/ (never committed; production configures its own: docs/SECURITY.md).
if [ "${ZC_ENV:-dev}" = dev ] && [ ! -f "${ZC_VAR_DIR:-var}/signing/development.p12" ]; then
  echo "==> 生成开发用证书签名密钥 / making the development signing key"
  .venv/bin/python -m app signing-key >/dev/null
fi
echo "==> 依赖已就绪 / set-up done"
